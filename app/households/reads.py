"""What the register's pages read: a village's register a page at a time, its counts, its grids."""
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.i18n import name_key
from app.models import Grid, Household, Region, Role, User
from app.pagination import Page, keyset_page, like_pattern


def register_page(village: Region, query: sa.Select, q: str = "", status: str = "active",
                  cursor: Optional[str] = None, limit: int = 50) -> Page:
    """One page of a village's register (already scoped by `query`), by household number."""
    query = query.where(Household.village_id == village.id).options(so.joinedload(Household.grid))
    if status == "active":
        query = query.where(Household.active.is_(True))
    elif status == "inactive":
        query = query.where(Household.active.is_(False))
    q = (q or "").strip()
    if q:
        pattern = like_pattern(q)
        query = query.where(sa.or_(
            Household.number.like(pattern, escape="\\"),
            Household.head_name.like(pattern, escape="\\"),
            Household.phone.like(pattern, escape="\\"),
            Household.address.like(pattern, escape="\\"),
        ))
    return keyset_page(query, [Household.number], cursor, limit)


def village_counts(village_id: int) -> dict[str, int]:
    """Households, active households and people in one village, in one query."""
    row = db.session.execute(
        sa.select(
            sa.func.count(Household.id),
            sa.func.count(Household.id).filter(Household.active.is_(True)),
            sa.func.coalesce(sa.func.sum(Household.members).filter(Household.active.is_(True)), 0),
        ).where(Household.village_id == village_id)
    ).one()
    return {"households": row[0], "active": row[1], "people": row[2]}


def grid_summaries(village_id: int) -> list[tuple[Grid, int, Optional[User]]]:
    """Each grid of a village with its active household count and its leader, in two queries."""
    counts = (sa.select(Household.grid_id, sa.func.count(Household.id).label("n"))
              .where(Household.village_id == village_id, Household.active.is_(True))
              .group_by(Household.grid_id).subquery())
    rows = db.session.execute(
        sa.select(Grid, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.grid_id == Grid.id)
        .where(Grid.village_id == village_id)
    ).all()
    rows.sort(key=lambda row: name_key(row[0].name))
    leaders = {u.grid_id: u for u in db.session.scalars(
        sa.select(User).where(User.role == Role.GRID_LEADER,
                              User.grid_id.in_([g.id for g, _n in rows] or [-1])))}
    return [(grid, n, leaders.get(grid.id)) for grid, n in rows]
