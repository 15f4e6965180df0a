"""Claims (积分申报): households and grid leaders ask for points, the committee decides.

Thin views over app/ledger/claims.py; anything out of scope is a 404.
"""
from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access.permissions import permission_required
from app.ledger.views import claims_bp as bp
from app.ledger import claims, photos, reads
from app.ledger.forms.claims import ClaimForm, DecideForm, RejectForm
from app.views_util import attempt, flash_errors, readable_village



@bp.route("/claims/mine")
@permission_required("claims.own")
def my_claims():
    """The claims of the household (or of the grid leader's households), newest first."""
    page = reads.my_claims(current_user, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("claims/mine.html", page=page)


def _claim_choices(form: ClaimForm) -> None:
    form.household_id.choices = [(h.id, f"{h.number} {h.head_name}")
                                 for h in reads.active_households(current_user)]
    form.rule_id.choices = [(r.id, f"{r.name} (+{r.points})")
                            for r in reads.claimable_rules(current_user.village_id)]


@bp.route("/claims/new", methods=["GET", "POST"])
@permission_required("claims.own")
def claim_new():
    """A household claims points for itself, or a grid leader for a household of the grid."""
    form = ClaimForm()
    _claim_choices(form)
    if form.validate_on_submit():
        if attempt(photos.stored, form.photo.data, lambda name: claims.submit_claim(
                current_user, form.household_id.data, form.rule_id.data, form.description.data,
                photo_name=name), done=_("Your claim has been sent. The committee will decide on it.")):
            return redirect(url_for(".my_claims"))
    return render_template("claims/new.html", form=form)


@bp.route("/claims")
@permission_required("claims.decide")
def claims_queue():
    """The village's claims: pending ones oldest first, or decided ones newest first."""
    village = readable_village()
    decided = request.args.get("status") == "decided"
    page = reads.claims_queue(current_user, village.id, decided, request.args.get("after"),
                              current_app.config["PAGE_SIZE"])
    return render_template("claims/queue.html", village=village, page=page,
                           decided=decided, decide_form=DecideForm(), reject_form=RejectForm())


@bp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@permission_required("claims.decide")
def claim_approve(claim_id: int):
    """Approve a claim: the award is made by claims.approve_claim."""
    claim = reads.claim_or_404(current_user, claim_id)
    if DecideForm().validate_on_submit():
        attempt(claims.approve_claim, current_user, claim.id,
                done=_("Claim approved: %(points)d points added.", points=claim.rule.points))
    return redirect(url_for(".claims_queue", village=claim.household.village_id))


@bp.route("/claims/<int:claim_id>/reject", methods=["POST"])
@permission_required("claims.decide")
def claim_reject(claim_id: int):
    """Reject a claim with the reason the household will read."""
    claim = reads.claim_or_404(current_user, claim_id)
    form = RejectForm()
    if form.validate_on_submit():
        attempt(claims.reject_claim, current_user, claim.id, form.reason.data,
                done=_("Claim rejected."))
    else:
        flash_errors(form)
    return redirect(url_for(".claims_queue", village=claim.household.village_id))
