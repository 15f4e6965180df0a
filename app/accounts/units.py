"""Responsible units' accounts (责任单位账号, e.g. 明溪县水利局): made by the admin, or by an
official for its own region and the regions under it. A unit account serves one region and sees
only the issues assigned to it there (app/access/meetings.py)."""
from typing import Optional

import sqlalchemy.orm as so
from flask_babel import gettext as _

from app.access import permissions, scope
from app.accounts.services import create_account
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Region, RegionLevel, Role, User
from app.pagination import Page, keyset_page


def serving_regions(actor: User, limit: int = 1000) -> list[Region]:
    """The regions above village level for which the actor may create unit accounts."""
    query = scope.regions_query(actor).where(Region.level < RegionLevel.VILLAGE)
    return list(db.session.scalars(query.order_by(Region.path).limit(limit)))


def units_page(actor: User, cursor: Optional[str], limit: int) -> Page:
    """The unit accounts serving the actor's region or a region under it, by username."""
    query = scope.unit_accounts_query(actor).options(so.selectinload(User.region))
    return keyset_page(query, [User.username], cursor, limit)


def create_unit(actor: User, username: str, password: str, name: str, region_id: int) -> User:
    """Create a unit's account serving `region_id`; its password must be changed at first use."""
    region = db.session.get(Region, region_id) if region_id else None
    if region is None or not permissions.may(actor, "accounts.create_unit", region):
        raise NotFound(_("This place is not in your area."))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the unit's name, e.g. 县水利局."))
    return create_account(username, password, Role.UNIT, region.id, name, actor=actor)
