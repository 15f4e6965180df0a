"""Who may do what: one registry of named permission rules, the role groups, and the menu.

`app/access/scope.py` decides what a user may *see*; this module decides what they may *do*.
Each feature registers its rules in its own module of this package (ledger.py, shop.py...)
with `@rule("feature.action")`; services call `require(actor, action, target)`, views and
templates ask `may(...)` or `menu_for(user)`. No other module keeps a list of roles.
"""
from functools import wraps
from typing import Any, Callable, NamedTuple, Optional

from flask import abort, g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.errors import NotAllowed
from app.models import Role, User

Rule = Callable[[User, Any], bool]
_RULES: dict[str, Rule] = {}

# Role groups: who opens which kind of page. Views name a rule, never a group or a role.
EVERYONE = frozenset(Role)
VILLAGE_MANAGERS = frozenset({Role.COMMITTEE, Role.ADMIN})
VILLAGE_READERS = frozenset({Role.COMMITTEE, Role.OFFICIAL, Role.ADMIN})
REGISTER_READERS = VILLAGE_READERS | {Role.GRID_LEADER}
LEDGER_READERS = REGISTER_READERS | {Role.HOUSEHOLD}
CLAIMANTS = frozenset({Role.HOUSEHOLD, Role.GRID_LEADER})
OFFICIALS = frozenset({Role.OFFICIAL, Role.ADMIN})


class SystemActor:
    """The site itself, acting by rule where no person decides: the issue loop's contribution
    points and the periodic jobs. It has no account and no id (the ledger entries and audit rows
    it makes carry no actor; the audit log shows it as the system), no role, village or household;
    `may` lets it do the actions `system_may` names and nothing else."""

    id = None
    username = "system"
    role = None
    household_id = None
    village_id = None
    region_id = None
    active = True
    is_authenticated = True

    def __repr__(self) -> str:
        return "<System>"


SYSTEM = SystemActor()
_SYSTEM_ACTIONS: set[str] = set()


def system_may(action: str) -> None:
    """Let the System actor do `action` (to any target): automatic work the rules foresee."""
    _SYSTEM_ACTIONS.add(action)


def rule(action: str) -> Callable[[Rule], Rule]:
    """Register the function that answers `may(user, action, target)`; one per action."""

    def register(function: Rule) -> Rule:
        if action in _RULES:
            raise RuntimeError(f"permission {action!r} is defined twice")
        _RULES[action] = function
        return function

    return register


def actions() -> frozenset[str]:
    """The names of every registered action."""
    return frozenset(_RULES)


def role_rule(action: str, roles: frozenset) -> None:
    """Register an action that depends on the role alone (a page any such role may open)."""
    rule(action)(lambda user, target=None: user.role in roles)


def may(user: Optional[User], action: str, target: Any = None) -> bool:
    """True when `user` may do `action` (to `target`); unknown actions are a programming error."""
    if isinstance(user, SystemActor):
        return action in _SYSTEM_ACTIONS
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return bool(_RULES[action](user, target))


def require(user: Optional[User], action: str, target: Any = None,
            message: Optional[str] = None) -> None:
    """Raise NotAllowed unless `user` may do `action` (to `target`)."""
    if not may(user, action, target):
        raise NotAllowed(message or _("Your account may not do this."))


def permission_required(action: str) -> Callable:
    """View decorator: only users who `may(action)` with no target; else 403. The view keeps the
    action's name as `access_rule`, so a test can ask every endpoint which rule guards it."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not may(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access_rule = action  # type: ignore[attr-defined]
        return wrapped

    return decorator


class MenuItem(NamedTuple):
    """A link of the top menu: shown to users who may do `action`."""

    order: int
    action: str
    endpoint: str
    label: Any  # a lazy string, translated when shown
    section: str = ""  # the key of its dropdown in SECTIONS, or "" for a link of its own


class MenuSection(NamedTuple):
    """A dropdown of the top menu: the links of one kind of work, as a cadre thinks of it."""

    order: int
    key: str
    label: Any
    items: tuple  # the MenuItems this user sees in it


# Each section's place in the bar and its name; "account" goes under the user's own name.
SECTIONS: dict[str, tuple[int, Any]] = {}
_MENU: list[MenuItem] = []


def menu_section(key: str, label: Any, order: int) -> None:
    """Declare a dropdown of the menu (label made with _l); its links name it in menu_item."""
    SECTIONS[key] = (order, label)


def menu_item(action: str, endpoint: str, label: Any, order: int, section: str = "") -> None:
    """Add a link to the menu for every user who may do `action` (label made with _l), inside
    the dropdown `section` when given."""
    _MENU.append(MenuItem(order, action, endpoint, label, section))
    _MENU.sort(key=lambda item: item.order)


def menu_for(user: Optional[User]) -> list[MenuItem]:
    """The menu links this user sees, in order: asked once a request (the bar and the account's
    dropdown both show it; each link is a rule to ask)."""
    if not has_request_context():
        return [item for item in _MENU if may(user, item.action)]
    key = user.get_id() if user is not None and getattr(user, "is_authenticated", False) else None
    found = g.get("menu_for")
    if found is None or found[0] != key:
        found = g.menu_for = (key, [item for item in _MENU if may(user, item.action)])
    return found[1]


def menu_sections_for(user: Optional[User], section: Optional[str] = None) -> list[MenuSection]:
    """The same links grouped for the bar: a section with one link for this user is shown as that
    link alone (MenuSection with an empty key). `section` picks one section's links only."""
    grouped: dict[str, list[MenuItem]] = {}
    for item in menu_for(user):
        grouped.setdefault(item.section, []).append(item)
    if section is not None:
        return [MenuSection(0, section, SECTIONS.get(section, (0, ""))[1],
                            tuple(grouped.get(section, ())))]
    bar = []
    for key, items in grouped.items():
        if key == "account":
            continue
        if key in SECTIONS and len(items) > 1:
            order, label = SECTIONS[key]
            bar.append(MenuSection(order, key, label, tuple(items)))
        else:
            bar.extend(MenuSection(item.order, "", item.label, (item,)) for item in items)
    return sorted(bar, key=lambda entry: entry.order)


menu_section("households", _l("Households (menu)"), 10)
menu_section("points", _l("Points"), 20)
menu_section("meetings", _l("Meetings and issues"), 40)
menu_section("shop", _l("Shop"), 50)
menu_section("reports", _l("Notices and reports"), 80)
menu_section("admin", _l("Administration"), 90)
menu_section("account", _l("My account"), 99)
