"""Who may act on the register and the points ledger, and the menu links of those pages."""
from typing import Optional

from flask_babel import lazy_gettext as _l

from app.access import scope
from app.access.permissions import (CLAIMANTS, LEDGER_READERS, OFFICIALS, REGISTER_READERS,
                                    VILLAGE_MANAGERS, menu_item, role_rule, rule)
from app.access.shop import serves
from app.models import Household, Role, User


def _own_household(user: User, household: Household) -> bool:
    return user.household_id is not None and user.household_id == household.id


@rule("village.manage")
def manage_village(user: User, village_id: Optional[int]) -> bool:
    """The register, rulebook, settings, claims and objections of a village (its committee, admin)."""
    return village_id is not None and scope.can_manage_village(user, village_id)


@rule("ledger.manage")
def manage_points(user: User, household: Optional[Household]) -> bool:
    """Award, deduct, adjust or reverse for a household: its village's managers, never for their own."""
    return (household is not None and scope.can_manage_village(user, household.village_id)
            and not _own_household(user, household))


@rule("ledger.spend")
def spend_points(user: User, household: Optional[Household]) -> bool:
    """Spend a household's points: the household itself, its village's managers or shop keeper."""
    if household is None:
        return False
    if user.role == Role.HOUSEHOLD:
        return _own_household(user, household)
    if scope.can_manage_village(user, household.village_id):
        return True
    return (user.role == Role.SHOP and user.shop is not None and user.shop.active
            and serves(user.shop_id, household.village_id))


@rule("claims.submit")
def submit_claim(user: User, household: Optional[Household]) -> bool:
    """Claim points for a household: the household itself, or the grid leader of its grid."""
    if household is None:
        return False
    if _own_household(user, household):
        return True
    return (user.role == Role.GRID_LEADER and user.grid_id is not None
            and household.grid_id == user.grid_id)


# Pages that depend on the role alone; which village or household they show is scope's business.
role_rule("households.register", REGISTER_READERS)
role_rule("households.manage", VILLAGE_MANAGERS)
role_rule("ledger.read", LEDGER_READERS)
role_rule("ledger.committee", VILLAGE_MANAGERS)
role_rule("claims.own", CLAIMANTS)
role_rule("regions.overview", OFFICIALS)
role_rule("accounts.admin", frozenset({Role.ADMIN}))
role_rule("me.household", frozenset({Role.HOUSEHOLD}))
role_rule("me.grid_leader", frozenset({Role.GRID_LEADER}))
role_rule("me.committee", frozenset({Role.COMMITTEE}))
role_rule("me.shop", frozenset({Role.SHOP}))
# A cadre's first page: what waits for it and the frequent actions (app/main/workbench.py).
role_rule("me.workbench", frozenset({Role.COMMITTEE, Role.OFFICIAL}))
menu_item("me.workbench", "main.workbench", _l("Workbench"), 1)

menu_item("me.household", "main.me", _l("My points"), 10)
menu_item("me.household", "rulebook.rules", _l("Rulebook"), 20, section="points")
menu_item("me.household", "claims.my_claims", _l("My claims"), 30, section="points")
menu_item("me.committee", "households.register", _l("Register"), 10, section="households")
menu_item("me.committee", "households.grids", _l("Grids"), 11, section="households")
menu_item("me.committee", "households.import_register", _l("Import"), 12, section="households")
menu_item("me.committee", "points.award", _l("Award points"), 20, section="points")
menu_item("me.committee", "rulebook.rulebook", _l("Rulebook"), 21, section="points")
menu_item("me.committee", "points.entries", _l("Entries"), 22, section="points")
menu_item("me.committee", "claims.claims_queue", _l("Claims"), 23, section="points")
menu_item("me.committee", "notice.objections_queue", _l("Objections"), 24, section="points")
menu_item("me.committee", "rulebook.settlement", _l("Year-end settlement"), 25, section="points")
menu_item("me.grid_leader", "households.register", _l("My grid"), 10, section="households")
menu_item("me.grid_leader", "claims.my_claims", _l("Claims"), 20, section="points")
menu_item("me.grid_leader", "rulebook.rules", _l("Rulebook"), 21, section="points")
for _role_page in ("me.household", "me.committee", "me.grid_leader"):
    menu_item(_role_page, "notice.notice", _l("Notice board"), 80, section="reports")
menu_item("regions.overview", "regions.overview", _l("Villages"), 10)
menu_item("accounts.admin", "accounts.index", _l("Accounts"), 90, section="admin")
menu_item("accounts.admin", "accounts.audit_log", _l("Audit log"), 91, section="admin")
menu_item("me.shop", "main.shop_home", _l("My shop"), 10)
