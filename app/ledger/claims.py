"""Claims (积分申报) and objections (异议): households ask, the committee decides.

Entries are still made only by app/ledger/services.py: an approved claim is an award, an
objection that succeeds is a reversal, each in the same transaction as the decision.
"""
from datetime import UTC, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import events
from app.access import permissions, scope
from app.errors import Conflict, DomainError, InvalidInput, NotAllowed
from app.extensions import db
from app.ledger.reads import settings_for
from app.database import transaction
from app.ledger.services import award_entries, reverse_entry
from app.models import Claim, Household, LedgerEntry, Objection, Rule, User
from app.models.base import utcnow
from app.models.ledger import RULE_KINDS


def _text(value: Optional[str], what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(what)
    return value


def _decidable(actor: User, household_id: int) -> None:
    household = db.session.get(Household, household_id)
    if household is None or not scope.can_manage_village(actor, household.village_id):
        raise NotAllowed(_("This household is not in your area."))


@transaction()
def submit_claim(actor: User, household_id: int, rule_id: int, description: str,
                 photo_name: Optional[str] = None) -> Claim:
    """A household claims points for itself, or a grid leader for a household of the grid."""
    household = db.session.get(Household, household_id)
    permissions.require(actor, "claims.submit", household,
                        _("You can only claim points for your own household or grid."))
    rule = db.session.get(Rule, rule_id)
    if rule is None or not rule.active or rule.village_id != household.village_id:
        raise InvalidInput(_("This rule does not exist or has been retired."))
    if rule.is_deduction:
        raise InvalidInput(_("Points can only be claimed under a rule that awards them."))
    _refuse_per_event(rule)
    claim = Claim(household_id=household.id, rule_id=rule.id,
                  description=_text(description, _("Describe what was done."))[:1000],
                  photo=photo_name, status="pending", submitted_by=actor.id)
    db.session.add(claim)
    db.session.flush()
    return claim


def _refuse_per_event(rule: Rule) -> None:
    """A rule limited per meeting or issue is awarded by the committee for that event: a claim
    names no event, so each claim would count as an event of its own and escape the limit."""
    if rule.limit_period == "event":
        raise DomainError(_("Points under this rule are given for a meeting or issue by the "
                            "committee; they cannot be claimed."), code="rule_per_event")


def _pending_claim(actor: User, claim_id: int) -> Claim:
    claim = db.session.scalar(sa.select(Claim).where(Claim.id == claim_id).with_for_update()
                              .execution_options(populate_existing=True))
    if claim is None:
        raise InvalidInput(_("Unknown claim."))
    _decidable(actor, claim.household_id)
    return claim


@transaction()
def approve_claim(actor: User, claim_id: int) -> Claim:
    """Approve a pending claim: the award is made under key claim:ID, so it is made once."""
    claim = _pending_claim(actor, claim_id)
    if claim.status == "approved":
        return claim
    if claim.status != "pending":
        raise Conflict(_("This claim has already been decided."))
    _refuse_per_event(db.session.get(Rule, claim.rule_id))
    (entry,) = award_entries(actor, [claim.household_id], claim.rule_id, claim.description,
                             idempotency_key=f"claim:{claim.id}", ref=("claim", claim.id))
    claim.status, claim.entry_id = "approved", entry.id
    claim.decided_by, claim.decided_at = actor.id, utcnow()
    events.emit("claim.decided", {"claim_id": claim.id})
    return claim


@transaction()
def reject_claim(actor: User, claim_id: int, reason: str) -> Claim:
    """Reject a pending claim with a reason the household will read."""
    claim = _pending_claim(actor, claim_id)
    if claim.status != "pending":
        raise Conflict(_("This claim has already been decided."))
    claim.reason = _text(reason, _("Say why the claim is rejected."))[:500]
    claim.status, claim.decided_by, claim.decided_at = "rejected", actor.id, utcnow()
    events.emit("claim.decided", {"claim_id": claim.id})
    return claim


@transaction()
def object_to(actor: User, entry_id: int, reason: str) -> Objection:
    """A household objects to an award or deduction of its own, within the objection window."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None or actor.household_id is None or entry.household_id != actor.household_id:
        raise NotAllowed(_("You can only object to entries of your own household."))
    if entry.kind not in RULE_KINDS:
        raise DomainError(_("Only awards and deductions can be objected to."))
    days = settings_for(entry.village_id).objection_days
    if datetime.now(UTC) - entry.created_at > timedelta(days=days):
        raise DomainError(_("Objections are taken within %(days)d days of an entry.", days=days))
    if db.session.scalar(sa.select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id)):
        raise Conflict(_("This entry has already been reversed."))
    if db.session.scalar(sa.select(Objection.id).where(Objection.entry_id == entry.id,
                                                       Objection.status == "open")):
        raise Conflict(_("There is already an open objection to this entry."))
    objection = Objection(entry_id=entry.id, household_id=entry.household_id, status="open",
                          reason=_text(reason, _("Say what is wrong with this entry."))[:1000])
    db.session.add(objection)
    db.session.flush()
    return objection


def _open_objection(actor: User, objection_id: int, answer: str) -> Objection:
    objection = db.session.scalar(sa.select(Objection).where(Objection.id == objection_id)
                                  .with_for_update().execution_options(populate_existing=True))
    if objection is None:
        raise InvalidInput(_("Unknown objection."))
    _decidable(actor, objection.household_id)
    if objection.status != "open":
        raise Conflict(_("This objection has already been answered."))
    objection.answer = _text(answer, _("Answer the objection."))[:1000]
    objection.answered_by, objection.answered_at = actor.id, utcnow()
    return objection


@transaction()
def uphold_objection(actor: User, objection_id: int, answer: str) -> Objection:
    """Keep the entry as it is and answer the objection."""
    objection = _open_objection(actor, objection_id, answer)
    objection.status = "upheld"
    events.emit("objection.answered", {"objection_id": objection.id})
    return objection


@transaction()
def reverse_for_objection(actor: User, objection_id: int, answer: str) -> Objection:
    """Agree with the objection: reverse the entry and answer, in one transaction."""
    objection = _open_objection(actor, objection_id, answer)
    reverse_entry(actor, objection.entry_id, objection.answer)
    objection.status = "reversed"
    events.emit("objection.answered", {"objection_id": objection.id})
    return objection
