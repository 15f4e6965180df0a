"""Who may create and change sign-in accounts, and who may stay signed in."""
from typing import Any, Optional

from flask_babel import lazy_gettext as _l

from app.access import permissions, scope
from app.access.permissions import menu_item, role_rule, rule
from app.models import Grid, Household, Region, Role, User

# Residents sign in on their own phones; staff move points or see many households, so their
# sessions must not outlive the browser.
REMEMBERED = frozenset({Role.HOUSEHOLD, Role.GRID_LEADER})
BULK_ACCOUNT_MAKERS = frozenset({Role.ADMIN, Role.OFFICIAL, Role.COMMITTEE})


# The page each role starts from after signing in (and at "/").
HOME_OF = {
    Role.HOUSEHOLD: "main.me",
    Role.COMMITTEE: "main.workbench",
    Role.GRID_LEADER: "households.register",
    Role.OFFICIAL: "main.workbench",
    Role.ADMIN: "regions.overview",
    Role.SHOP: "main.shop_home",
    Role.UNIT: "issues.assigned",
}


def home_endpoint(user: User) -> str:
    """The endpoint of the page this account starts from."""
    return HOME_OF[Role(user.role)]


@rule("accounts.create")
def create_account(user: User, target: Any) -> bool:
    """Create an account scoped to `target`: administrators any; a village's managers the
    accounts of its households and of its grids' leaders."""
    if user.role == Role.ADMIN:
        return True
    return isinstance(target, (Household, Grid)) and scope.can_manage_village(user, target.village_id)


@rule("accounts.create_unit")
def create_unit_account(user: User, region: Optional[Region]) -> bool:
    """Create a responsible unit's account serving a region: whoever may add places under that
    region (the admin; an official for its own region and below). No target: the page itself."""
    if region is None:
        return user.role in (Role.OFFICIAL, Role.ADMIN)
    return permissions.may(user, "regions.add_under", region)


@rule("accounts.reset")
def reset_password(user: User, account: Optional[User]) -> bool:
    """Set someone else's password: administrators any account; a village's managers its
    household and grid-leader accounts."""
    if account is None:
        return False
    return user.role == Role.ADMIN or scope.manages_account(user, account)


@rule("accounts.switch")
def switch_account(user: User, account: Optional[User]) -> bool:
    """Switch an account off (or on again): administrators any other account; whoever may run a
    shop (its village's committee, an official above) that shop's keepers."""
    if account is None or account.id == user.id:
        return False
    if user.role == Role.ADMIN:
        return True
    if account.role == Role.SHOP and account.shop is not None:
        return permissions.may(user, "shop.open", account.shop.village_id)
    return False


@rule("accounts.bulk")
def bulk_accounts(user: User, target: Any = None) -> bool:
    """Open the page of accounts in bulk (which region is scope's and the service's business)."""
    return user.role in BULK_ACCOUNT_MAKERS


@rule("sessions.remember")
def remember(user: User, target: Any = None) -> bool:
    """Stay signed in across browser restarts: residents only, never staff."""
    return user.role in REMEMBERED


menu_item("accounts.create_unit", "accounts.units_index", _l("Responsible units"), 90, section="admin")

# The pages of one's own account (the landing redirect, one's password and notifications): anyone
# signed in.
role_rule("account.own", permissions.EVERYONE)

# Backups hold every household's data: only administrators see, make and download them.
role_rule("backups.admin", frozenset({Role.ADMIN}))
menu_item("backups.admin", "accounts.backups", _l("Backups"), 92, section="admin")
