"""Checks the ledger services share: who may touch which household, and rule limits.

Nothing here writes; app/ledger/services.py calls these inside its own transaction.
"""
from typing import Callable, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app.access import permissions, scope
from app.access.ledger import own_household_id, self_dealing
from app.dates import period_start
from app.errors import DomainError, NotAllowed
from app.extensions import db
from app.models import Household, LedgerEntry, Rule, User
from app.models.ledger import RULE_KINDS

Ref = Optional[tuple[str, int]]


def refuse_self_dealing(actor: User, household: Household, spending: bool) -> None:
    """Refuse (code own_household) what the no-self-dealing rule of app/access/ledger.py forbids;
    every service that moves points calls it (through check_manager and check_spender)."""
    if self_dealing(actor, household, spending):
        raise NotAllowed(_("You cannot change the points of your own household."),
                         code="own_household")


def split_own(actor: User, household_ids) -> tuple[list[int], list[int]]:
    """(the ids the actor may be asked to award, the actor's own household among them): a batch
    that names the member's own household goes to the rest and leaves that one, under the
    no-self-dealing rule above, for another member of the committee (as closing a meeting does)."""
    ids = list(dict.fromkeys(int(h) for h in household_ids))
    own = own_household_id(actor)
    if own is None:
        return ids, []
    return [h for h in ids if h != own], [h for h in ids if h == own]


def check_manager(actor: User, household: Optional[Household]) -> Household:
    """The household, when the actor may award, deduct and reverse for it; else NotAllowed."""
    if household is not None and permissions.may(actor, "ledger.manage", household):
        return household
    # Unknown and out-of-scope households get the same answer, so ids reveal nothing.
    if household is None or not scope.can_manage_village(actor, household.village_id):
        raise NotAllowed(_("This household is not in your area."))
    refuse_self_dealing(actor, household, spending=False)
    raise NotAllowed(_("You cannot change the points of your own household."))


def check_spender(actor: User, household: Optional[Household], refund: bool = False,
                  refusal: Optional[Callable[[], NotAllowed]] = None) -> Household:
    """The household, when the actor may spend its points (its shop or committee), or with
    `refund` give back what was spent; else NotAllowed (made by `refusal`, when the caller words it)."""
    if not permissions.may(actor, "ledger.spend", household):
        raise refusal() if refusal else NotAllowed(_("This household is not in your area."))
    refuse_self_dealing(actor, household, spending=not refund)
    return household


def check_limit(rule: Rule, household: Household, ref: Ref) -> None:
    """Refuse an entry that would exceed the rule's limit for this household (reversed ones don't count)."""
    if not rule.limit_count or not rule.limit_period:
        return
    reversal = so.aliased(LedgerEntry)
    query = sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.household_id == household.id,
        LedgerEntry.rule_id == rule.id,
        LedgerEntry.kind.in_(RULE_KINDS),
        ~sa.exists().where(reversal.reverses_id == LedgerEntry.id),
    )
    if rule.limit_period == "event":
        if ref is None:
            raise DomainError(_("This rule counts per event: say which meeting or issue it is for."))
        query = query.where(LedgerEntry.ref_type == ref[0], LedgerEntry.ref_id == ref[1])
    else:
        query = query.where(LedgerEntry.created_at >= period_start(rule.limit_period))
    if db.session.scalar(query) >= rule.limit_count:
        periods = {"day": _("per day"), "month": _("per month"), "year": _("per year"),
                   "event": _("per event")}
        raise DomainError(_("Household %(number)s %(name)s has reached the limit of %(rule)s: "
                            "at most %(count)d %(period)s.", number=household.number,
                            name=household.head_name, rule=rule.name, count=rule.limit_count,
                            period=periods[rule.limit_period]))
