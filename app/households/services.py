"""Register rules: unique numbers per village, grids of the same village, never deleting history."""
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit
from app.access import permissions
from app.database import transaction
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.figures import rollup
from app.models import Grid, Household, Region, User

FIELDS = ("number", "head_name", "members", "address", "phone")


def _check_grid(village: Region, grid_id: Optional[int]) -> Optional[int]:
    """The grid id if it belongs to this village; an unknown or foreign grid is refused."""
    if not grid_id:
        return None
    grid = db.session.get(Grid, grid_id)
    if grid is None or grid.village_id != village.id:
        raise InvalidInput(_("That grid is not in this village."))
    return grid.id


def _check_number(village: Region, number: str, exclude_id: Optional[int] = None) -> None:
    """Refuse a household number already used in this village."""
    query = sa.select(Household.id).where(Household.village_id == village.id,
                                          Household.number == number)
    if exclude_id is not None:
        query = query.where(Household.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict(_("Household number %(number)s is already used in this village.",
                         number=number))


def _number_taken(number: str) -> str:
    return _("Household number %(number)s is already used in this village.", number=number)


def create_household(actor: User, village: Region, data: dict) -> Household:
    """Add a household to a village's register."""
    permissions.require(actor, "village.manage", village.id)
    number = data["number"].strip()
    with transaction(conflict=_number_taken(number)):
        _check_number(village, number)
        household = Household(village_id=village.id, grid_id=_check_grid(village, data.get("grid_id")),
                              **{f: _clean(data, f) for f in FIELDS})
        db.session.add(household)
        if household.active is not False:  # None: the column's default, active
            rollup.households(village.id, 1, _members(household))
        audit.record("household_created", target=f"household:{number}", detail=household.head_name,
                     actor=actor)
    return household


def update_household(actor: User, household: Household, data: dict) -> Household:
    """Change a household's details and grid; when refused, nothing is changed."""
    permissions.require(actor, "village.manage", household.village_id)
    number = data["number"].strip()
    with transaction(conflict=_number_taken(number)):
        _reload_locked(household)  # first: its village too as stored (a merge moves households)
        village = db.session.get_one(Region, household.village_id)
        _check_number(village, number, exclude_id=household.id)
        members = household.members
        for field in FIELDS:
            setattr(household, field, _clean(data, field))
        if household.active:
            rollup.households(village.id, 0, _members(household) - members)
        household.grid_id = _check_grid(village, data.get("grid_id"))
        audit.record("household_updated", target=f"household:{household.id}", detail=number,
                     actor=actor)
    return household


def set_active(actor: User, household: Household, active: bool) -> None:
    """Deactivate or reactivate a household; households are never deleted, their history stays."""
    permissions.require(actor, "village.manage", household.village_id)
    with transaction():
        _reload_locked(household)
        if household.active != active:
            sign = 1 if active else -1
            rollup.households(household.village_id, sign, sign * household.members)
        household.active = active
        action = "household_reactivated" if active else "household_deactivated"
        audit.record(action, target=f"household:{household.id}", detail=household.number, actor=actor)


def create_grid(actor: User, village: Region, name: str) -> Grid:
    """Add a grid to a village."""
    permissions.require(actor, "village.manage", village.id)
    name = name.strip()
    with transaction(conflict=_("A grid named %(name)s already exists.", name=name)):
        if db.session.scalar(sa.select(Grid.id).where(Grid.village_id == village.id,
                                                      Grid.name == name)):
            raise Conflict(_("A grid named %(name)s already exists.", name=name))
        grid = Grid(village_id=village.id, name=name)
        db.session.add(grid)
        audit.record("grid_created", target=f"village:{village.id}", detail=name, actor=actor)
    return grid


def _reload_locked(household: Household) -> None:
    """The household as stored now, locked until the transaction ends (another change of it
    waits): the village's counters move from what is stored, not from what the request loaded
    before (two deactivations at once count one)."""
    db.session.execute(sa.select(Household).where(Household.id == household.id).with_for_update()
                       .execution_options(populate_existing=True)).scalar_one()


def _members(household: Household) -> int:
    """The people the household will be stored with (the column's default 1 when not given)."""
    return int(household.members or 1)


def _clean(data: dict, field: str):
    value = data.get(field)
    if isinstance(value, str):
        return value.strip()
    return value if value is not None else ("" if field in ("address", "phone") else value)
