"""The household's side of the ledger: history, rulebook, claims (积分申报) and evidence photos.

Thin views over app/ledger/claims.py; reads come from app/ledger/reads.py and queries.py,
built on app/scope.py, and anything out of scope is a 404.
"""
from flask import (abort, current_app, flash, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from app.access import scope
from app.access.permissions import CLAIMANTS, LEDGER_READERS, VILLAGE_MANAGERS, roles_required
from app.errors import DomainError
from app.ledger import bp, claims, photos, queries, reads
from app.ledger.forms_household import ClaimForm, DecideForm, RejectForm
from app.models import Role
from app.views_util import flash_errors, readable_village



# --- history and rulebook ----------------------------------------------------------------------

@bp.route("/me/history")
@roles_required(Role.HOUSEHOLD)
def me_history():
    """Every entry of the household, newest first, a page at a time."""
    household = scope.own_household_or_404(current_user)
    page = queries.history_page(household.id, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("ledger/household/history.html", household=household, page=page,
                           flags=queries.entry_flags(page.items, household.id))


@bp.route("/rules")
@roles_required(LEDGER_READERS)
def rules():
    """The village's active rules by category, with points and limits (read-only)."""
    village = readable_village()
    return render_template("ledger/household/rules.html", village=village,
                           categories=reads.active_rules_by_category(village.id))


# --- claims --------------------------------------------------------------------------------------

@bp.route("/claims/mine")
@roles_required(CLAIMANTS)
def my_claims():
    """The claims of the household (or of the grid leader's households), newest first."""
    page = reads.my_claims(current_user, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("ledger/claims/mine.html", page=page)


def _claim_choices(form: ClaimForm) -> None:
    form.household_id.choices = [(h.id, f"{h.number} {h.head_name}")
                                 for h in reads.active_households(current_user)]
    form.rule_id.choices = [(r.id, f"{r.name} (+{r.points})")
                            for r in reads.claimable_rules(current_user.village_id)]


@bp.route("/claims/new", methods=["GET", "POST"])
@roles_required(CLAIMANTS)
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
@roles_required(VILLAGE_MANAGERS)
def claims_queue():
    """The village's claims: pending ones oldest first, or decided ones newest first."""
    village = readable_village()
    decided = request.args.get("status") == "decided"
    page = reads.claims_queue(current_user, village.id, decided, request.args.get("after"),
                              current_app.config["PAGE_SIZE"])
    return render_template("ledger/claims/queue.html", village=village, page=page,
                           decided=decided, decide_form=DecideForm(), reject_form=RejectForm())


@bp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@roles_required(VILLAGE_MANAGERS)
def claim_approve(claim_id: int):
    """Approve a claim: the award is made by claims.approve_claim."""
    claim = reads.claim_or_404(current_user, claim_id)
    if DecideForm().validate_on_submit():
        try:
            claims.approve_claim(current_user, claim.id)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Claim approved: %(points)d points added.", points=claim.rule.points), "success")
    return redirect(url_for(".claims_queue", village=claim.household.village_id))


@bp.route("/claims/<int:claim_id>/reject", methods=["POST"])
@roles_required(VILLAGE_MANAGERS)
def claim_reject(claim_id: int):
    """Reject a claim with the reason the household will read."""
    claim = reads.claim_or_404(current_user, claim_id)
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
@roles_required(LEDGER_READERS)
def photo(name: str):
    """An evidence photo, only for users whose scope covers its household."""
    if not photos.NAME.match(name) or not photos.visible_to(current_user, name):
        abort(404)
    response = send_from_directory(photos.folder(), name, mimetype="image/jpeg", max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response
