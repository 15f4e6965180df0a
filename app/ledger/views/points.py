"""The committee's ledger pages: award, deduct, reverse and the village's entries.

Thin views: every read is a call to app/ledger/reads.py, every write one call to
app/ledger/services.py, and a DomainError becomes a message. The rulebook and settings pages
are in app/ledger/views/rulebook.py.
"""
import secrets

from flask import (abort, current_app, flash, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from app.access import scope
from app.access.permissions import permission_required
from app.errors import InvalidInput
from app.ledger import photos, reads, services
from app.ledger.policy import split_own
from app.ledger.views import points_bp as bp
from app.ledger.forms.points import (KIND_LABELS, AwardForm, ConfirmEntriesForm, DeductForm, EntryFilterForm,
                                     ReverseForm, SearchForm)
from app.models import Household
from app.views_util import attempt, flash_errors, managed_village, readable_village



def _rule_choices(village_id: int, deductions: bool) -> list[tuple[int, str]]:
    return [(r.id, f"{r.code} {r.name} ({r.points:+d})") for r in reads.award_rules(village_id, deductions)]


def _households(village, *conditions) -> list[Household]:
    return reads.village_households(current_user, village.id, *conditions)


def _award_form(village) -> AwardForm:
    form = AwardForm()
    form.rule_id.choices = _rule_choices(village.id, deductions=False)
    grids = scope.grids(current_user, village.id)
    form.grid_id.choices = [(0, _("Choose a grid"))] + [(g.id, g.name) for g in grids]
    return form


def _targets(form: AwardForm, village) -> list[Household]:
    """The households an award form names, or InvalidInput saying what is wrong."""
    if form.target.data == "household":
        number = (form.household_number.data or "").strip()
        found = _households(village, Household.number == number) if number else []
        if not found:
            raise InvalidInput(_("No active household has the number %(number)s.", number=number)
                               if number else _("Enter a household number."))
    elif form.target.data == "grid":
        found = _households(village, Household.grid_id == form.grid_id.data) if form.grid_id.data else []
        if not found:
            raise InvalidInput(_("This grid has no active households.") if form.grid_id.data
                               else _("Choose a grid."))
    else:
        ids = form.household_ids.data
        found = _households(village, Household.id.in_(ids)) if ids else []
        if not ids or len(found) != len(ids):
            raise InvalidInput(_("Tick at least one household.") if not ids else
                               _("Some ticked households are not in this village or no longer active."))
    return found


def _preview(kind: str, village, rule_id: int, households: list[Household], note: str):
    """The confirmation page: who gets what and the total, before anything is written."""
    rule = reads.rule(rule_id)
    form = ConfirmEntriesForm(formdata=None, rule_id=rule.id, households=[h.id for h in households],
                              note=note or "", key=secrets.token_urlsafe(16))
    # The member's own household stays on the list, marked: the service leaves it for another member.
    own = set(split_own(current_user, [h.id for h in households])[1])
    count = len(households) - len(own)
    return render_template("points/confirm.html", kind=kind, village=village, rule=rule,
                           households=households, own=own, count=count, total=rule.points * count,
                           form=form)


def _flash_left(kind: str, village, left: list[int]) -> None:
    """Name the households a batch left for another member of the committee."""
    for h in _households(village, Household.id.in_(left)) if left else []:
        flash(_("Household %(number)s %(name)s is your own: it waits for another member of the "
                "committee to record it.", number=h.number, name=h.head_name), "warning")


def _commit(kind: str):
    """Write what the confirmation page showed, once, after checking scope again."""
    village = managed_village()
    back = url_for(".award" if kind == "award" else ".deduct", village=village.id)
    form = ConfirmEntriesForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(back)
    ids, rule_id = form.households.data, form.rule_id.data

    def record(photo):
        return (photo, *services.award_others(current_user, ids, rule_id, form.note.data or "",
                                              idempotency_key=form.key.data, photo=photo,
                                              village_id=village.id, deduction=kind == "deduction"))

    recorded = attempt(photos.stored, form.photo.data if kind == "deduction" else None, record)
    if not recorded:
        return redirect(back)
    photo, entries, left = recorded.value
    if photo and entries[0].photo != photo:
        photos.discard(photo)  # a replay: the first request's entries keep their own photo
    flash(ngettext("Recorded for %(num)d household.", "Recorded for %(num)d households.", len(entries)),
          "success")
    _flash_left(kind, village, left)
    return redirect(url_for(".entries", village=village.id))


@bp.route("/award")
@permission_required("ledger.committee")
def award():
    """Step one of an award: a rule, and one household, a grid or households found by a search."""
    village = managed_village()
    search = SearchForm(request.args)
    q = request.args.get("q") if search.validate() else None
    return render_template("points/award.html", village=village, form=_award_form(village),
                           search=search, shown=reads.search_households(current_user, village.id, q))


@bp.route("/award/preview", methods=["POST"])
@permission_required("ledger.committee")
def award_preview():
    """Show who gets what before anything is written."""
    village = managed_village()
    form = _award_form(village)
    if form.validate_on_submit():
        targets = attempt(_targets, form, village)
        if targets:
            return _preview("award", village, form.rule_id.data, targets.value, form.note.data)
    q = request.form.get("q")
    q = q[:64] if q is not None else None
    return render_template("points/award.html", village=village, form=form,
                           search=SearchForm(formdata=None, q=q),
                           shown=reads.search_households(current_user, village.id, q))


@bp.route("/award/confirm", methods=["POST"])
@permission_required("ledger.committee")
def award_confirm():
    """Write the award the confirmation page showed (a replay adds nothing)."""
    return _commit("award")


@bp.route("/deduct", methods=["GET", "POST"])
@permission_required("ledger.committee")
def deduct():
    """Step one of a deduction: a deduction rule, household numbers and the reason."""
    village = managed_village()
    form = DeductForm()
    form.rule_id.choices = _rule_choices(village.id, deductions=True)
    if form.validate_on_submit():
        numbers = form.number_list()
        found = _households(village, Household.number.in_(numbers))
        missing = sorted(set(numbers) - {h.number for h in found})
        if not missing:
            return _preview("deduction", village, form.rule_id.data, found, form.note.data)
        flash(_("No active household has the number %(number)s.", number=", ".join(missing)), "danger")
    return render_template("points/deduct.html", village=village, form=form)


@bp.route("/deduct/confirm", methods=["POST"])
@permission_required("ledger.committee")
def deduct_confirm():
    """Write the deduction the confirmation page showed (a replay adds nothing)."""
    return _commit("deduction")


@bp.route("/entries")
@permission_required("ledger.entries")
def entries():
    """The village's ledger, newest first, filtered by kind and household number."""
    village = readable_village()
    form = EntryFilterForm(request.args)
    if not form.validate():
        form = EntryFilterForm(formdata=None)
    page, reversed_ids, actors = reads.village_entries(village.id, form.kind.data, form.household.data,
                                                       request.args.get("after"),
                                                       current_app.config["PAGE_SIZE"])
    return render_template("points/entries.html", village=village, form=form, page=page,
                           reversed_ids=reversed_ids, actors=actors, kinds=KIND_LABELS,
                           can_manage=scope.can_manage_village(current_user, village.id))


@bp.route("/entries/<int:entry_id>/reverse", methods=["GET", "POST"])
@permission_required("ledger.committee")
def reverse(entry_id: int):
    """Reverse (撤销) an entry after a confirmation page that names what it will do."""
    entry = reads.managed_entry_or_404(current_user, entry_id)
    form = ReverseForm()
    if form.validate_on_submit():
        attempt(services.reverse, current_user, entry.id, form.reason.data,
                done=_("The entry was reversed."))
        return redirect(url_for(".entries", village=entry.village_id))
    return render_template("points/reverse.html", entry=entry, form=form,
                           reversed_already=reads.is_reversed(entry.id), kinds=KIND_LABELS)


# --- the household's history and evidence photos ----------------------------------------------

@bp.route("/me/history")
@permission_required("me.household")
def me_history():
    """Every entry of the household, newest first, a page at a time."""
    household = scope.own_household_or_404(current_user)
    page = reads.history_page(household.id, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("points/history.html", household=household, page=page,
                           flags=reads.entry_flags(page.items, household.id))


@bp.route("/photos/<name>")
@permission_required("ledger.read")
def photo(name: str):
    """An evidence photo, only for users whose scope covers its household."""
    if not photos.NAME.match(name) or not photos.visible_to(current_user, name):
        abort(404)
    response = send_from_directory(photos.folder(), name, mimetype="image/jpeg", max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response
