"""The committee's household cards: issue in bulk, reissue, unlock, new PIN, print the sheets."""
from typing import Optional

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import scope
from app.access.permissions import permission_required
from app.errors import NotFound
from app.links import query_args
from app.shop import bp
from app.shop.cards import services as cards, sheets as card_sheets
from app.shop.cards.forms import CardsIssueForm
from app.shop.forms import ConfirmForm
from app.views_util import attempt, db_id

READERS = "shop.cards_pages"  # committee and admin reach the pages; "shop.cards" decides the village


def _village():
    return scope.managed_village_or_404(current_user, request.args.get("village", type=db_id))


def _grid_id(village) -> Optional[int]:
    grid_id = request.args.get("grid", type=db_id)
    if grid_id is not None and grid_id not in {g.id for g in scope.grids(current_user, village.id)}:
        abort(404)
    return grid_id


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # PINs are shown once; never keep the page
    return response


def _slips(slips, village, title):
    return _no_store(Response(render_template("shop/card_pins.html", slips=slips, village=village,
                                              title=title)))


@bp.route("/shop/cards", endpoint="cards")
@permission_required(READERS)
def cards_page():
    """The village's households with their cards, and the forms to issue and print them."""
    village = _village()
    grid_id = _grid_id(village)
    rows = card_sheets.listing(current_user, village.id, grid_id)
    grids = scope.grids(current_user, village.id)
    form = CardsIssueForm()
    form.grid.choices = [("", _("Every household of the village"))] + [(str(g.id), g.name)
                                                                       for g in grids]
    form.grid.data = str(grid_id or "")
    return render_template("shop/cards.html", village=village, rows=rows, grids=grids,
                           grid_id=grid_id, form=form, button=ConfirmForm())


@bp.route("/shop/cards/issue", methods=["POST"])
@permission_required(READERS)
def cards_issue():
    """Cards and PINs for the households without one, or new ones for all (confirmed)."""
    village = _village()
    form = CardsIssueForm()
    form.grid.choices = [("", "")] + [(str(g.id), g.name)
                                      for g in scope.grids(current_user, village.id)]
    if not form.validate_on_submit() or form.grid.data not in dict(form.grid.choices):
        return redirect(url_for(".cards", village=village.id))
    if form.reissue.data and not form.confirm.data:
        flash(_("Replacing cards needs the confirmation ticked: the old cards stop working."),
              "warning")
        return redirect(url_for(".cards", village=village.id, grid=form.grid.data or None))
    slips = attempt(cards.issue_cards, current_user, village.id, int(form.grid.data or 0) or None,
                    reissue=form.reissue.data)
    if not slips:
        return redirect(url_for(".cards", village=village.id))
    return _slips(slips.value, village, _("New household cards"))


@bp.route("/shop/cards/households/<int:household_id>/reissue", methods=["POST"])
@permission_required(READERS)
def card_reissue(household_id: int):
    """A new card and PIN for one household; the old card stops working."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".cards"))
    try:
        slip = cards.reissue(current_user, household_id)
    except NotFound:
        abort(404)
    return _slips([slip], slip.household.village, _("Card reissued"))


@bp.route("/shop/cards/<int:card_id>/unlock", methods=["POST"])
@permission_required(READERS)
def card_unlock(card_id: int):
    """Unlock a card locked by wrong PINs."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".cards"))
    try:
        card = cards.unlock(current_user, card_id)
    except NotFound:
        abort(404)
    flash(_("Card unlocked."), "success")
    return redirect(url_for(".cards", village=card.household.village_id))


@bp.route("/shop/cards/<int:card_id>/pin", methods=["POST"])
@permission_required(READERS)
def card_new_pin(card_id: int):
    """A new random PIN for a card (forgotten PIN), with the reason the household is told; on a
    slip shown once."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".cards"))
    slip = attempt(cards.set_pin, current_user, card_id, ConfirmForm().reason.data or "",
                   not_found_404=True)
    if not slip:
        return redirect(url_for(".cards", village=request.args.get("village", type=db_id)))
    return _slips([slip.value], slip.value.household.village, _("New PIN"))


def _sheet_data():
    village = _village()
    return card_sheets.sheet(current_user, village.id, _grid_id(village),
                             request.args.get("part", 1, type=db_id) or 1)


@bp.route("/shop/cards/sheet")
@permission_required(READERS)
def card_sheet():
    """The cards as A4 sheets to print from the browser."""
    return _no_store(Response(card_sheets.render_html(_sheet_data())))


@bp.route("/shop/cards/sheet.pdf")
@permission_required(READERS)
def card_sheet_pdf():
    """The same sheets as a PDF with the QR at its exact printed size."""
    data = _sheet_data()
    try:
        pdf = card_sheets.render_pdf(data)
    except ImportError:
        flash(_("PDF printing is not installed on this server; print the sheet from the browser."),
              "warning")
        return redirect(url_for(".card_sheet", **query_args()))
    response = _no_store(Response(pdf, mimetype="application/pdf"))
    response.headers["Content-Disposition"] = f"inline; filename=cards-{data['part']}.pdf"
    return response
