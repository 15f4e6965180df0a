"""What the ledger tells people later, through the outbox: claims decided, objections answered,
and the nightly `ledger verify` job whose result goes to the audit log."""
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit, events
from app.access.permissions import SYSTEM
from app.database import transaction
from app.extensions import db
from app.jobs import job
from app.ledger.reads import verify
from app.models import Claim, Household, Objection, OutboxEvent, Role, Rule, User


def household_accounts(household_id: int) -> list[int]:
    """The ids of the active accounts that sign in as this household."""
    return list(db.session.scalars(sa.select(User.id).where(
        User.household_id == household_id, User.role == Role.HOUSEHOLD, User.active.is_(True))))


@events.handler("claim.decided")
def _claim_decided(payload: dict, event: OutboxEvent) -> None:
    claim = db.session.get(Claim, payload["claim_id"])
    if claim is None:
        return
    readers = set(household_accounts(claim.household_id))
    if claim.submitted_by:
        readers.add(claim.submitted_by)
    params = {"rule": claim.rule.name, "points": claim.rule.points, "number": claim.household.number,
              "reason": claim.reason}
    kind = "claim.approved" if claim.status == "approved" else "claim.rejected"
    for user_id in sorted(readers):
        events.notify(user_id, kind, params, "claims.my_claims", event)


@events.handler("objection.answered")
def _objection_answered(payload: dict, event: OutboxEvent) -> None:
    objection = db.session.get(Objection, payload["objection_id"])
    if objection is None:
        return
    kind = "objection.reversed" if objection.status == "reversed" else "objection.upheld"
    params = {"answer": objection.answer, "points": objection.entry.points}
    for user_id in household_accounts(objection.household_id):
        events.notify(user_id, kind, params, "points.me_history", event)


@events.handler("award.left_for_another")
def _left_for_another(payload: dict, event: OutboxEvent) -> None:
    """A batch left a member's own household out: the village's other members are told it waits."""
    household = db.session.get(Household, payload["household_id"])
    rule = db.session.get(Rule, payload["rule_id"])
    member = db.session.get(User, payload["actor_id"])
    if household is None or rule is None:
        return
    readers = db.session.scalars(sa.select(User.id).where(
        User.role == Role.COMMITTEE, User.region_id == household.village_id, User.active.is_(True),
        User.id != payload["actor_id"],
        sa.or_(User.household_id.is_(None), User.household_id != household.id)))
    params = {"number": household.number, "name": household.head_name, "rule": rule.name,
              "member": (member.display_name or member.username) if member else ""}
    for user_id in sorted(readers):
        events.notify(user_id, "award.left_for_another", params, "points.award", event)


@events.notification_text("award.left_for_another")
def _left_for_another_text(params: dict) -> str:
    return _("Household %(number)s %(name)s waits for “%(rule)s”: it is the own household of "
             "%(member)s, so another member of the committee must record it.", **params)


@events.notification_text("claim.approved")
def _approved_text(params: dict) -> str:
    return _("Your claim under “%(rule)s” was approved: %(points)+d points for household %(number)s.",
             **params)


@events.notification_text("claim.rejected")
def _rejected_text(params: dict) -> str:
    return _("Your claim under “%(rule)s” for household %(number)s was not approved: %(reason)s",
             **params)


@events.notification_text("objection.reversed")
def _reversed_text(params: dict) -> str:
    return _("Your objection was accepted and the entry of %(points)+d points was reversed: %(answer)s",
             **params)


@events.notification_text("objection.upheld")
def _upheld_text(params: dict) -> str:
    return _("Your objection was answered; the entry of %(points)+d points stands: %(answer)s",
             **params)


@job("ledger-verify", every=timedelta(days=1))
def nightly_verify(now: datetime) -> str:
    """Recompute every balance and score from the ledger; the result goes to the audit log."""
    wrong = verify()
    detail = (f"{len(wrong)} household(s) disagree: "
              + ", ".join(str(household.id) for household, _b, _s in wrong[:50])
              if wrong else "ok: every balance and score matches the ledger")
    with transaction():  # recorded even when the check then fails the job
        audit.record("ledger.verify", "ledger", detail, SYSTEM)
    if wrong:
        raise RuntimeError(detail)
    return detail
