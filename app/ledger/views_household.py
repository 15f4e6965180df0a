"""The household's side of the ledger: history, rulebook, claims (积分申报) and evidence photos.

Thin views over app/ledger/claims.py; every read goes through app/scope.py, and anything out
of scope is a 404.
"""
from datetime import UTC, datetime, timedelta
from typing import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (abort, current_app, flash, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from app import scope
from app.decorators import roles_required
from app.errors import DomainError
from app.extensions import db
from app.ledger import bp, claims, photos
from app.ledger.forms_household import ClaimForm, DecideForm, RejectForm
from app.ledger.queries import settings_for
from app.models import Claim, Household, LedgerEntry, Objection, Role, Rule, RuleCategory
from app.pagination import keyset_page
from app.views_util import flash_errors

READERS = (Role.HOUSEHOLD, Role.GRID_LEADER, Role.COMMITTEE, Role.OFFICIAL, Role.ADMIN)
CLAIMANTS = (Role.HOUSEHOLD, Role.GRID_LEADER)
DECIDERS = (Role.COMMITTEE, Role.ADMIN)


# --- helpers shared with views_notice and main.me --------------------------------------------

def reading_village():
    """The village shown: the account's own, or ?village= for officials (404 outside scope)."""
    village_id = request.args.get("village", type=int) or current_user.village_id
    if village_id is None or not 0 < village_id < 2**31:
        abort(404)
    village = scope.region_or_404(current_user, village_id)
    return village if village.is_village else abort(404)


def own_household() -> Household:
    """The signed-in household's own record."""
    return scope.household_or_404(current_user, current_user.household_id or -1)


def entries_page(household: Household, cursor, limit: int):
    """A keyset page of a household's entries, newest first, with rule loaded (no N+1)."""
    query = (sa.select(LedgerEntry).where(LedgerEntry.household_id == household.id)
             .options(so.joinedload(LedgerEntry.rule)))
    return keyset_page(query, [LedgerEntry.id], cursor, limit, descending=True)


def entry_flags(entries: Iterable[LedgerEntry], household_id=None) -> dict:
    """For a list of entries: which are reversed, which have an open objection, which the
    household `household_id` may still object to (two queries, whatever the list's length)."""
    entries = list(entries)
    ids = [e.id for e in entries]
    reversed_ids, open_ids = set(), set()
    if ids:
        reversed_ids = set(db.session.scalars(
            sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.in_(ids))))
        open_ids = set(db.session.scalars(sa.select(Objection.entry_id).where(
            Objection.entry_id.in_(ids), Objection.status == "open")))
    objectable = set()
    if household_id is not None:
        days = {}
        now = datetime.now(UTC)
        for e in entries:
            if e.household_id != household_id or e.kind not in ("award", "deduction"):
                continue
            if e.village_id not in days:
                days[e.village_id] = settings_for(e.village_id).objection_days
            if now - e.created_at <= timedelta(days=days[e.village_id]) \
                    and e.id not in reversed_ids and e.id not in open_ids:
                objectable.add(e.id)
    return {"reversed": reversed_ids, "open": open_ids, "objectable": objectable}


def scoped_household_ids() -> sa.ScalarSelect:
    """The ids of the households the signed-in user may see, as a subquery."""
    return scope.households_query(current_user).with_only_columns(Household.id).scalar_subquery()


# --- history and rulebook ----------------------------------------------------------------------

@bp.route("/me/history")
@roles_required(Role.HOUSEHOLD)
def me_history():
    """Every entry of the household, newest first, a page at a time."""
    household = own_household()
    page = entries_page(household, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("ledger/household/history.html", household=household, page=page,
                           flags=entry_flags(page.items, household.id))


@bp.route("/rules")
@roles_required(*READERS)
def rules():
    """The village's active rules by category, with points and limits (read-only)."""
    village = reading_village()
    rows = db.session.scalars(
        sa.select(Rule).join(RuleCategory).where(Rule.village_id == village.id, Rule.active)
        .options(so.contains_eager(Rule.category))
        .order_by(RuleCategory.sort_order, RuleCategory.name, Rule.code)).all()
    categories = {}
    for rule in rows:
        categories.setdefault(rule.category, []).append(rule)
    return render_template("ledger/household/rules.html", village=village, categories=categories)


# --- claims --------------------------------------------------------------------------------------

def _claims_query():
    return (sa.select(Claim).where(Claim.household_id.in_(scoped_household_ids()))
            .options(so.joinedload(Claim.rule), so.joinedload(Claim.household)))


@bp.route("/claims/mine")
@roles_required(*CLAIMANTS)
def my_claims():
    """The claims of the household (or of the grid leader's households), newest first."""
    page = keyset_page(_claims_query(), [Claim.id], request.args.get("after"),
                       current_app.config["PAGE_SIZE"], descending=True)
    return render_template("ledger/claims/mine.html", page=page)


def _claim_choices(form: ClaimForm) -> None:
    households = db.session.scalars(scope.households_query(current_user)
                                    .where(Household.active).order_by(Household.number)).all()
    form.household_id.choices = [(h.id, f"{h.number} {h.head_name}") for h in households]
    village_id = current_user.village_id or -1
    rules_ = db.session.scalars(sa.select(Rule).where(Rule.village_id == village_id, Rule.active,
                                                      Rule.points > 0).order_by(Rule.code))
    form.rule_id.choices = [(r.id, f"{r.name} (+{r.points})") for r in rules_]


@bp.route("/claims/new", methods=["GET", "POST"])
@roles_required(*CLAIMANTS)
def claim_new():
    """A household claims points for itself, or a grid leader for a household of the grid."""
    form = ClaimForm()
    _claim_choices(form)
    if form.validate_on_submit():
        name = None
        try:
            if form.photo.data and form.photo.data.filename:
                name = photos.save_photo(form.photo.data)
            claims.submit_claim(current_user, form.household_id.data, form.rule_id.data,
                                form.description.data, photo_name=name)
        except DomainError as error:
            photos.discard(name)
            flash(error.message, "danger")
        else:
            flash(_("Your claim has been sent. The committee will decide on it."), "success")
            return redirect(url_for(".my_claims"))
    return render_template("ledger/claims/new.html", form=form)


@bp.route("/claims")
@roles_required(*DECIDERS)
def claims_queue():
    """The village's claims: pending ones oldest first, or decided ones newest first."""
    village = reading_village()
    decided = request.args.get("status") == "decided"
    query = _claims_query().join(Household, Household.id == Claim.household_id).where(
        Household.village_id == village.id,
        Claim.status != "pending" if decided else Claim.status == "pending")
    page = keyset_page(query, [Claim.id], request.args.get("after"),
                       current_app.config["PAGE_SIZE"], descending=decided)
    return render_template("ledger/claims/queue.html", village=village, page=page,
                           decided=decided, decide_form=DecideForm(), reject_form=RejectForm())


def _claim_or_404(claim_id: int) -> Claim:
    claim = db.session.scalar(_claims_query().where(Claim.id == claim_id))
    return claim or abort(404)


@bp.route("/claims/<int(max=2147483647):claim_id>/approve", methods=["POST"])
@roles_required(*DECIDERS)
def claim_approve(claim_id: int):
    """Approve a claim: the award is made by claims.approve_claim."""
    claim = _claim_or_404(claim_id)
    if DecideForm().validate_on_submit():
        try:
            claims.approve_claim(current_user, claim.id)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Claim approved: %(points)d points added.", points=claim.rule.points), "success")
    return redirect(url_for(".claims_queue", village=claim.household.village_id))


@bp.route("/claims/<int(max=2147483647):claim_id>/reject", methods=["POST"])
@roles_required(*DECIDERS)
def claim_reject(claim_id: int):
    """Reject a claim with the reason the household will read."""
    claim = _claim_or_404(claim_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            claims.reject_claim(current_user, claim.id, form.reason.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Claim rejected."), "success")
    else:
        flash_errors(form)
    return redirect(url_for(".claims_queue", village=claim.household.village_id))


# --- photos --------------------------------------------------------------------------------------

@bp.route("/photos/<name>")
@roles_required(*READERS)
def photo(name: str):
    """An evidence photo, only for users whose scope covers its household."""
    if not photos.NAME.match(name) or not photos.visible_to(current_user, name):
        abort(404)
    response = send_from_directory(photos.folder(), name, mimetype="image/jpeg", max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response
