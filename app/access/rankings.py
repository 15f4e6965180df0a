"""Who may see a village's or grid's ranking and poster, and the menu links to them."""
from typing import Optional

from flask_babel import lazy_gettext as _l

from app.access import scope
from app.access.permissions import menu_item, role_rule, rule
from app.models import Grid, Region, Role, User

RANKING_READERS = frozenset({Role.COMMITTEE, Role.GRID_LEADER, Role.OFFICIAL, Role.ADMIN})


@rule("rankings.read")
def read_ranking(user: User, target: Optional[tuple[Region, Optional[Grid]]]) -> bool:
    """A village's ranking (its committee, officials above it read-only, admins), or a grid's
    (those, and the grid's own leader; a grid leader sees no other grid and not the village)."""
    if target is None:
        return False
    village, grid = target
    if grid is not None and grid.village_id != village.id:
        return False
    if user.role == Role.GRID_LEADER:
        return grid is not None and user.grid_id == grid.id
    return scope.reads_village(user, village)


role_rule("rankings.list", RANKING_READERS)
menu_item("me.committee", "rankings.ranking", _l("Rankings"), 79, section="reports")
menu_item("me.grid_leader", "rankings.ranking", _l("Rankings"), 79, section="reports")
