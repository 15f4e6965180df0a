"""Who may import, export and change the region tree, and the menu links of those pages."""
from typing import Optional

from flask_babel import lazy_gettext as _l

from app.access.permissions import OFFICIALS, VILLAGE_MANAGERS, may, menu_item, role_rule, rule
from app.models import Region, Role, User


@rule("regions.manage")
def manage_region(user: User, region: Optional[Region]) -> bool:
    """Add under, rename, deactivate, move or merge a region: administrators, and officials of a
    region strictly above it (an official never changes its own region)."""
    if region is None:
        return False
    if user.role == Role.ADMIN:
        return True
    own = user.region if user.role == Role.OFFICIAL else None
    return own is not None and region.id != own.id and region.path.startswith(own.path)


@rule("regions.add_under")
def add_under(user: User, parent: Optional[Region]) -> bool:
    """Add a place under `parent`, or move a village there: administrators, and officials of
    `parent` or of a region above it."""
    if parent is None:
        return False
    if user.role == Role.ADMIN:
        return True
    own = user.region if user.role == Role.OFFICIAL else None
    return own is not None and parent.path.startswith(own.path)


role_rule("regions.import", frozenset({Role.ADMIN}))
role_rule("regions.export", OFFICIALS)
role_rule("regions.manage_pages", OFFICIALS)  # which region: the "regions.manage" rule above
role_rule("regions.templates", OFFICIALS)  # a region's rulebook templates
role_rule("regions.adopt_templates", VILLAGE_MANAGERS)
menu_item("regions.import", "regions.import_tree", _l("Places"), 15, section="admin")
menu_item("me.committee", "accounts.bulk_accounts", _l("Household accounts"), 13, section="households")
menu_item("me.committee", "regions.adopt_templates", _l("Rulebook templates"), 25, section="points")


def changeable(user: User, regions: list[Region]) -> set[int]:
    """The ids of `regions` the user may change ("regions.manage" or "regions.add_under"), for a
    page's Change links: the same rules, asked with the signed-in user taken out of its request
    proxy once (a page of 50 villages went through the proxy some hundreds of times)."""
    user = getattr(user, "_get_current_object", lambda: user)()
    return {r.id for r in regions
            if may(user, "regions.manage", r) or may(user, "regions.add_under", r)}
