"""Who may issue, read and withdraw points certificates, and the menu link to them.

A household issues and reads its own; the committee those of its village's households (and
withdraws them); officials above a village read them; admins everything. Anything else is a 404
for the views (the certificate "does not exist" for that user). Verifying needs no account.
"""
from typing import Any

from flask_babel import lazy_gettext as _l

from app.access import scope
from app.access.permissions import menu_item, role_rule, rule
from app.extensions import db
from app.models import Household, Region, Role, User

CERTIFICATE_READERS = frozenset({Role.HOUSEHOLD, Role.COMMITTEE, Role.OFFICIAL, Role.ADMIN})


def _household_of(target: Any) -> Household | None:
    """The household a certificate (or the household itself) is about."""
    if isinstance(target, Household):
        return target
    return getattr(target, "household", None)


def _village_of(target: Any) -> int | None:
    village_id = getattr(target, "village_id", None)
    return village_id


@rule("certificates.issue")
def issue_certificate(user: User, target: Any) -> bool:
    """A household for itself; the committee (and admins) for a household of its village."""
    household = _household_of(target)
    if household is None or not household.active:
        return False
    if user.role == Role.HOUSEHOLD:
        return user.household_id == household.id
    return user.role in (Role.COMMITTEE, Role.ADMIN) and scope.can_manage_village(
        user, household.village_id)


@rule("certificates.read")
def read_certificate(user: User, target: Any) -> bool:
    """Its household, its village's committee, officials above the village, admins."""
    household, village_id = _household_of(target), _village_of(target)
    if household is None or village_id is None:
        return False
    if user.role == Role.HOUSEHOLD:
        return user.household_id == household.id
    return scope.reads_village(user, db.session.get(Region, village_id))


@rule("certificates.withdraw")
def withdraw_certificate(user: User, target: Any) -> bool:
    """The village's committee (and admins), while the certificate stands."""
    village_id = _village_of(target)
    if village_id is None or getattr(target, "withdrawn_at", None) is not None:
        return False
    return user.role in (Role.COMMITTEE, Role.ADMIN) and scope.can_manage_village(user, village_id)


role_rule("certificates.list", CERTIFICATE_READERS)
role_rule("certificates.village_list", frozenset({Role.COMMITTEE, Role.OFFICIAL, Role.ADMIN}))
menu_item("certificates.village_list", "certificates.listing", _l("Points certificates"), 81,
          section="reports")
