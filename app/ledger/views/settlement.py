"""The year-end settlement page (年度清零): the committee switches it on and picks the date;
officials above read it. It previews the points that would lapse and lists what each settlement
lapsed. Writes are one call to app/ledger/settlement.py."""
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import scope
from app.access.permissions import permission_required
from app.extensions import db
from app.ledger import settlement as settlements
from app.ledger.reads import settings_for
from app.models import Settlement
from app.ledger.views import rulebook_bp as bp
from app.ledger.forms.rulebook import SettlementForm
from app.views_util import attempt, db_id, flash_errors, managed_village, readable_village


def _after() -> int | None:
    try:
        return db_id(request.args.get("after", ""))
    except ValueError:
        return None


def _page(rows: list, key) -> tuple[list, int | None]:
    """The rows of one page and the id the next page starts after (None on the last)."""
    more = len(rows) > settlements.PAGE_SIZE
    rows = rows[:settlements.PAGE_SIZE]
    return rows, (key(rows[-1]) if more else None)


@bp.route("/settlement")
@permission_required("rulebook.read")
def settlement():
    """The settings, the households whose points would lapse now, and past settlements."""
    village = readable_village()
    settings = settings_for(village.id)
    form = SettlementForm(enabled=settings.settlement_on is not None, settle_on=settings.settlement_on,
                          warn_days=settings.settlement_warn_days or 30)
    households, after = _page(settlements.preview_page(village.id, _after()), lambda h: h.id)
    return render_template("rulebook/settlement.html", village=village, settings=settings, form=form,
                           households=households, after=after, history=settlements.history(village.id),
                           can_manage=scope.can_manage_village(current_user, village.id))


@bp.route("/settlement", methods=["POST"])
@permission_required("rulebook.manage")
def save_settlement():
    """Switch the settlement on with its date and warning days, or off."""
    village = managed_village()
    form = SettlementForm()
    if form.validate_on_submit():
        attempt(settlements.save_settlement, current_user, village.id,
                form.settle_on.data if form.enabled.data else None, form.warn_days.data,
                done=_("Saved."))
    else:
        flash_errors(form)
    return redirect(url_for(".settlement", village=village.id))


@bp.route("/settlement/<int:settlement_id>")
@permission_required("rulebook.read")
def settlement_done(settlement_id: int):
    """What one settlement lapsed, household by household."""
    record = db.session.get(Settlement, settlement_id)
    if record is None or record.done_at is None:
        abort(404)
    village = scope.region_or_404(current_user, record.village_id)
    rows, after = _page(settlements.expired_page(record, _after()), lambda row: row[0].id)
    return render_template("rulebook/settlement_done.html", village=village, record=record,
                           rows=rows, after=after)
