"""The committee's ledger pages: award, deduct, reverse, the village's entries, rulebook, settings.

Thin views: every write is one call to app/ledger/services.py (or app/ledger/settings.py),
and a DomainError becomes a message. Every query starts from app/scope.py.
"""
import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from app import scope
from app.decorators import roles_required
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.ledger import bp, photos, services
from app.ledger.forms import (KIND_LABELS, MAX_ID, AwardForm, CategoryForm, ConfirmEntriesForm, ConfirmForm,
                              DeductForm, EntryFilterForm, ReverseForm, RuleEditForm, RuleForm, SearchForm,
                              SettingsForm)
from app.ledger.settings import save_settings
from app.models import Household, LedgerEntry, Role, Rule, RuleCategory, User
from app.pagination import keyset_page, like_pattern
from app.views_util import flash_errors

READERS = (Role.COMMITTEE, Role.OFFICIAL, Role.ADMIN)
MANAGERS = (Role.COMMITTEE, Role.ADMIN)
SEARCH_LIMIT = 200
ID = f"int(max={MAX_ID})"


def _village_arg():
    """?village=ID for admins and officials; an id no database could hold is simply not found."""
    value = request.args.get("village", type=int)
    return value if value is None or 0 < value <= MAX_ID else abort(404)


def _managed_village():
    return scope.managed_village_or_404(current_user, _village_arg())


def _readable_village():
    village = scope.region_or_404(current_user, _village_arg() or current_user.village_id or abort(404))
    return village if village.is_village else abort(404)


def _rules(village_id: int, deductions: bool) -> list[Rule]:
    """Active rules of one sign; per-event rules are awarded from their meeting or issue instead."""
    sign = Rule.points < 0 if deductions else Rule.points > 0
    return list(db.session.scalars(sa.select(Rule).where(
        Rule.village_id == village_id, Rule.active.is_(True), sign,
        sa.or_(Rule.limit_period.is_(None), Rule.limit_period != "event")).order_by(Rule.code)))


def _rule_choices(village_id: int, deductions: bool) -> list[tuple[int, str]]:
    return [(r.id, f"{r.code} {r.name} ({r.points:+d})") for r in _rules(village_id, deductions)]


def _households(village, *conditions) -> list[Household]:
    """Active households of the village, in the user's scope, by number."""
    return list(db.session.scalars(scope.households_query(current_user).where(
        Household.village_id == village.id, Household.active.is_(True), *conditions)
        .order_by(Household.number).limit(SEARCH_LIMIT * 10)))


def _search(village, q):
    """The award page's search results: None before a search, every household for an empty one."""
    if q is None:
        return None
    pattern = like_pattern(q.strip())
    return _households(village, sa.or_(Household.number.like(pattern, escape="\\"),
                                       Household.head_name.like(pattern, escape="\\")))[:SEARCH_LIMIT]


def _award_form(village) -> AwardForm:
    form = AwardForm()
    form.rule_id.choices = _rule_choices(village.id, deductions=False)
    grids = db.session.scalars(scope.grids_query(current_user, village.id))
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
    rule = db.session.get(Rule, rule_id)
    form = ConfirmEntriesForm(formdata=None, rule_id=rule.id, households=[h.id for h in households],
                              note=note or "", key=secrets.token_urlsafe(16))
    return render_template("ledger/committee/confirm.html", kind=kind, village=village, rule=rule,
                           households=households, total=rule.points * len(households), form=form)


def _commit(kind: str):
    """Write what the confirmation page showed, once, after checking scope again."""
    village = _managed_village()
    back = url_for(".award" if kind == "award" else ".deduct", village=village.id)
    form = ConfirmEntriesForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(back)
    ids, rule_id = form.households.data, form.rule_id.data
    if rule_id not in dict(_rule_choices(village.id, deductions=kind == "deduction")):
        flash(_("This rule does not exist or has been retired. Nothing was recorded."), "danger")
        return redirect(back)
    if len(_households(village, Household.id.in_(ids))) != len(ids):
        flash(_("Some households are not in this village or no longer active. Nothing was recorded."),
              "danger")
        return redirect(back)
    photo = None
    try:
        if kind == "deduction" and getattr(form.photo.data, "filename", ""):
            photo = photos.save_photo(form.photo.data)
        write = services.award if kind == "award" else services.deduct
        entries = write(current_user, ids, rule_id, form.note.data or "", idempotency_key=form.key.data,
                        photo=photo)
    except DomainError as error:
        photos.discard(photo)
        flash(error.message, "danger")
        return redirect(back)
    if photo and entries[0].photo != photo:
        photos.discard(photo)  # a replay: the first request's entries keep their own photo
    flash(ngettext("Recorded for %(num)d household.", "Recorded for %(num)d households.", len(entries)),
          "success")
    return redirect(url_for(".entries", village=village.id))


@bp.route("/award")
@roles_required(*MANAGERS)
def award():
    """Step one of an award: a rule, and one household, a grid or households found by a search."""
    village = _managed_village()
    search = SearchForm(request.args)
    q = request.args.get("q") if search.validate() else None
    return render_template("ledger/committee/award.html", village=village, form=_award_form(village),
                           search=search, shown=_search(village, q))


@bp.route("/award/preview", methods=["POST"])
@roles_required(*MANAGERS)
def award_preview():
    """Show who gets what before anything is written."""
    village = _managed_village()
    form = _award_form(village)
    if form.validate_on_submit():
        try:
            return _preview("award", village, form.rule_id.data, _targets(form, village), form.note.data)
        except InvalidInput as error:
            flash(error.message, "danger")
    q = request.form.get("q")
    q = q[:64] if q is not None else None
    return render_template("ledger/committee/award.html", village=village, form=form,
                           search=SearchForm(formdata=None, q=q), shown=_search(village, q))


@bp.route("/award/confirm", methods=["POST"])
@roles_required(*MANAGERS)
def award_confirm():
    """Write the award the confirmation page showed (a replay adds nothing)."""
    return _commit("award")


@bp.route("/deduct", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def deduct():
    """Step one of a deduction: a deduction rule, household numbers and the reason."""
    village = _managed_village()
    form = DeductForm()
    form.rule_id.choices = _rule_choices(village.id, deductions=True)
    if form.validate_on_submit():
        numbers = form.number_list()
        found = _households(village, Household.number.in_(numbers))
        missing = sorted(set(numbers) - {h.number for h in found})
        if not missing:
            return _preview("deduction", village, form.rule_id.data, found, form.note.data)
        flash(_("No active household has the number %(number)s.", number=", ".join(missing)), "danger")
    return render_template("ledger/committee/deduct.html", village=village, form=form)


@bp.route("/deduct/confirm", methods=["POST"])
@roles_required(*MANAGERS)
def deduct_confirm():
    """Write the deduction the confirmation page showed (a replay adds nothing)."""
    return _commit("deduction")


def _entries_page(village, form: EntryFilterForm):
    """A page of the village's entries, newest first, with reversed ids and actors in two queries."""
    query = sa.select(LedgerEntry).where(LedgerEntry.village_id == village.id).options(
        so.joinedload(LedgerEntry.household), so.joinedload(LedgerEntry.rule))
    if form.kind.data:
        query = query.where(LedgerEntry.kind == form.kind.data)
    if form.household.data:
        query = query.where(LedgerEntry.household_id.in_(
            sa.select(Household.id).where(Household.village_id == village.id,
                                          Household.number == form.household.data.strip())))
    page = keyset_page(query, [LedgerEntry.id], request.args.get("after"),
                       current_app.config["PAGE_SIZE"], descending=True)
    ids = [e.id for e in page.items]
    reversed_ids = set(db.session.scalars(sa.select(LedgerEntry.reverses_id).where(
        LedgerEntry.reverses_id.in_(ids)))) if ids else set()
    actor_ids = {e.actor_id for e in page.items if e.actor_id}
    actors = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(actor_ids)))} \
        if actor_ids else {}
    return page, reversed_ids, actors


@bp.route("/entries")
@roles_required(*READERS)
def entries():
    """The village's ledger, newest first, filtered by kind and household number."""
    village = _readable_village()
    form = EntryFilterForm(request.args)
    if not form.validate():
        form = EntryFilterForm(formdata=None)
    page, reversed_ids, actors = _entries_page(village, form)
    return render_template("ledger/committee/entries.html", village=village, form=form, page=page,
                           reversed_ids=reversed_ids, actors=actors, kinds=KIND_LABELS,
                           can_manage=scope.can_manage_village(current_user, village.id))


@bp.route(f"/entries/<{ID}:entry_id>/reverse", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def reverse(entry_id: int):
    """Reverse (撤销) an entry after a confirmation page that names what it will do."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None or not scope.can_manage_village(current_user, entry.village_id):
        abort(404)
    form = ReverseForm()
    if form.validate_on_submit():
        try:
            services.reverse(current_user, entry.id, form.reason.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("The entry was reversed."), "success")
        return redirect(url_for(".entries", village=entry.village_id))
    reversed_already = db.session.scalar(sa.select(LedgerEntry.id).where(
        LedgerEntry.reverses_id == entry.id)) is not None
    return render_template("ledger/committee/reverse.html", entry=entry, form=form,
                           reversed_already=reversed_already, kinds=KIND_LABELS)


@bp.route("/rulebook")
@roles_required(*READERS)
def rulebook():
    """The village's rulebook: categories and their rules, active and retired."""
    village = _readable_village()
    categories = list(db.session.scalars(sa.select(RuleCategory).where(
        RuleCategory.village_id == village.id).order_by(RuleCategory.sort_order, RuleCategory.name)))
    rules = db.session.scalars(sa.select(Rule).where(Rule.village_id == village.id)
                               .order_by(Rule.active.desc(), Rule.code))
    by_category = {c.id: [] for c in categories}
    for rule in rules:
        by_category.setdefault(rule.category_id, []).append(rule)
    return render_template("ledger/committee/rulebook.html", village=village, categories=categories,
                           by_category=by_category, form=CategoryForm(),
                           settings=services.settings_for(village.id),
                           can_manage=scope.can_manage_village(current_user, village.id))


@bp.route("/rulebook/categories", methods=["POST"])
@roles_required(*MANAGERS)
def create_category():
    """Add a heading to the rulebook."""
    village = _managed_village()
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            services.create_category(current_user, village.id, form.name.data, form.sort_order.data or 0)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Category added."), "success")
    else:
        flash_errors(form)
    return redirect(url_for(".rulebook", village=village.id))


def _category_choices(village_id: int):
    return [(c.id, c.name) for c in db.session.scalars(sa.select(RuleCategory).where(
        RuleCategory.village_id == village_id).order_by(RuleCategory.sort_order, RuleCategory.name))]


def _rule_fields(form: RuleForm) -> dict:
    return {"name": form.name.data, "description": form.description.data or "", "points": form.points.data,
            "limit_count": form.limit_count.data, "limit_period": form.limit_period.data or None,
            "category_id": form.category_id.data}


@bp.route("/rulebook/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create_rule():
    """Add a rule to the rulebook."""
    village = _managed_village()
    form = RuleForm()
    form.category_id.choices = _category_choices(village.id)
    if form.validate_on_submit():
        try:
            services.create_rule(current_user, village.id, code=form.code.data, **_rule_fields(form))
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Rule %(code)s added.", code=form.code.data), "success")
            return redirect(url_for(".rulebook", village=village.id))
    return render_template("ledger/committee/rule_form.html", form=form, village=village, rule=None)


def _managed_rule(rule_id: int):
    """A rule of a village the user manages, and that village; else 404."""
    rule = db.session.get(Rule, rule_id) or abort(404)
    return rule, scope.managed_village_or_404(current_user, rule.village_id)


@bp.route(f"/rulebook/<{ID}:rule_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_rule(rule_id: int):
    """Change a rule; entries already made keep their points."""
    rule, village = _managed_rule(rule_id)
    form = RuleEditForm(obj=rule)
    form.category_id.choices = _category_choices(rule.village_id)
    if request.method == "GET":
        form.limit_period.data = rule.limit_period or ""
    if form.validate_on_submit():
        try:
            services.update_rule(current_user, rule.id, **_rule_fields(form))
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Saved. The change applies to new entries only."), "success")
            return redirect(url_for(".rulebook", village=rule.village_id))
    return render_template("ledger/committee/rule_form.html", form=form, village=village, rule=rule)


@bp.route(f"/rulebook/<{ID}:rule_id>/retire", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def retire_rule(rule_id: int):
    """Retire a rule after a confirmation page; rules are never deleted."""
    rule, village = _managed_rule(rule_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.retire_rule(current_user, rule.id)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Rule %(code)s retired.", code=rule.code), "success")
        return redirect(url_for(".rulebook", village=rule.village_id))
    return render_template("ledger/committee/retire.html", rule=rule, village=village, form=form)


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def settings():
    """Star thresholds on the score and the days households have to object to a notice."""
    village = _managed_village()
    form = SettingsForm(obj=services.settings_for(village.id))
    if form.validate_on_submit():
        try:
            save_settings(current_user, village.id, form.star2.data, form.star3.data, form.star4.data,
                          form.star5.data, form.objection_days.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for(".rulebook", village=village.id))
    return render_template("ledger/committee/settings.html", form=form, village=village)
