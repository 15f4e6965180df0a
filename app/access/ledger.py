"""Who may act on the register and the points ledger, and the menu links of those pages."""
from typing import Optional

from flask_babel import lazy_gettext as _l

from app.access import scope
from app.access.permissions import (CLAIMANTS, LEDGER_READERS, OFFICIALS, REGISTER_READERS,
                                    VILLAGE_MANAGERS, VILLAGE_READERS, menu_item, role_rule, rule,
                                    system_may)
from app.access.shop import serves
from app.models import Household, Role, User


def _own_household(user: User, household: Household) -> bool:
    return user.household_id is not None and user.household_id == household.id


def own_household_id(user: User) -> Optional[int]:
    """The household whose points this actor's office may never move: the one an account acting
    for an office (committee, shop, official, admin) lives in; None for a household's own
    account (see `self_dealing`) and for the System actor."""
    return None if user.role == Role.HOUSEHOLD else user.household_id


def self_dealing(user: User, household: Household, spending: bool) -> bool:
    """The no-self-dealing rule, the one place it is decided (the rule "ledger.manage" below and
    app/ledger/policy.py both ask it): an account acting for an office never moves the points of
    the household it lives in, up or down (no awards, deductions, adjustments, spending or
    reversals of them); a household's own account may spend its points but never raise them (a
    reversal of its own spending is a refund, and refunds are the committee's or shop's)."""
    if user.role == Role.HOUSEHOLD:
        return not spending
    own = own_household_id(user)
    return own is not None and own == household.id


@rule("village.manage")
def manage_village(user: User, village_id: Optional[int]) -> bool:
    """The register, rulebook, settings, claims and objections of a village (its committee, admin)."""
    return village_id is not None and scope.can_manage_village(user, village_id)


@rule("ledger.manage")
def manage_points(user: User, household: Optional[Household]) -> bool:
    """Award, deduct, adjust or reverse for a household: its village's managers, never for their own."""
    return (household is not None and scope.can_manage_village(user, household.village_id)
            and not self_dealing(user, household, spending=False))


# Awards by rule that no person decides (an issue's contribution points, app/issues/points.py).
system_may("ledger.manage")


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
role_rule("ledger.entries", VILLAGE_READERS)  # the village's entries, read-only for officials
role_rule("claims.own", CLAIMANTS)
role_rule("claims.decide", VILLAGE_MANAGERS)
role_rule("households.export", VILLAGE_READERS)
role_rule("rulebook.rules", LEDGER_READERS)  # the village's rules, as a list to read
role_rule("rulebook.read", VILLAGE_READERS)  # the rulebook and the year-end settlement pages
role_rule("rulebook.manage", VILLAGE_MANAGERS)
role_rule("notice.read", LEDGER_READERS)
role_rule("notice.object", frozenset({Role.HOUSEHOLD}))
role_rule("notice.objections", VILLAGE_MANAGERS)
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
