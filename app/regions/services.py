"""Figures per region and per village, each computed by indexed, grouped queries."""
from typing import Optional

import sqlalchemy as sa

from app.extensions import db
from app.models import FigureVillage, Region, RegionLevel
from app.models.region import subtree_clause
from app.pagination import Page, keyset_page, like_pattern


def village_page(villages: sa.Select, under: Optional[Region], q: str,
                 cursor: Optional[str], limit: int) -> Page:
    """A page of villages (already scoped), in tree order, optionally under a region or by name."""
    if under is not None:
        villages = villages.where(subtree_clause(Region.path, under.path))
    q = (q or "").strip()
    if q:
        villages = villages.where(Region.name.like(like_pattern(q), escape="\\"))
    return keyset_page(villages, [Region.path], cursor, limit)


def household_counts(village_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Active households and people per village, for one page of villages: from each village's
    counters the register's services keep (FigureVillage), a row a village, not the page's
    some 20,000 households of a city read on every visit."""
    if not village_ids:
        return {}
    rows = db.session.execute(
        sa.select(FigureVillage.village_id, FigureVillage.households, FigureVillage.members)
        .where(FigureVillage.village_id.in_(village_ids)))
    return {village_id: (n, people) for village_id, n, people in rows}


def region_totals(root: Optional[Region]) -> dict[str, int]:
    """Villages and active households under a region (everything for None), in one query: the
    households from each village's counter the register's services keep (FigureVillage), not a
    count of a city's 800,000 households on every visit."""
    query = (sa.select(sa.func.count(Region.id), sa.func.coalesce(sa.func.sum(FigureVillage.households), 0))
             .select_from(Region).outerjoin(FigureVillage, FigureVillage.village_id == Region.id)
             .where(Region.level == RegionLevel.VILLAGE))
    if root is not None:
        query = query.where(subtree_clause(Region.path, root.path))
    villages, households = db.session.execute(query).one()
    return {"villages": villages or 0, "households": int(households or 0)}


def trails(regions: list[Region]) -> dict[int, str]:
    """Each region's place in the tree, by the region's id: its ancestors' names below the root
    ("县 › 乡"), read in one query and joined once for each parent (a page of 50 villages has a
    few townships)."""
    chains = {r.id: tuple(r.ancestor_ids[1:-1]) for r in regions}
    ids = {i for chain in chains.values() for i in chain}
    names = {i: name for i, name in db.session.execute(
        sa.select(Region.id, Region.name).where(Region.id.in_(ids)))} if ids else {}
    joined = {chain: " › ".join(names[i] for i in chain if i in names) for chain in set(chains.values())}
    return {region_id: joined[chain] for region_id, chain in chains.items()}


def children(region_query: sa.Select, parent: Optional[Region]) -> list[Region]:
    """The direct children of a region (or the roots), for drilling down, in pinyin order (the
    stored key, app.i18n.sort_key: name_key's order), ties by id."""
    query = region_query.where(Region.parent_id == parent.id if parent else Region.parent_id.is_(None))
    return list(db.session.scalars(query.order_by(Region.sort_key, Region.id)))


def path_segment(region_id: int) -> str:
    """One id of a materialised path, zero-padded so that byte order is tree order by id."""
    return f"{region_id:010d}/"


def add_regions(specs: list[tuple[str, int, Optional[Region]]]) -> list[Region]:
    """Create regions (name, level, parent) and give each its materialised path."""
    regions = [Region(name=name, level=level, parent_id=parent.id if parent else None)
               for name, level, parent in specs]
    db.session.add_all(regions)
    db.session.flush()
    for region, (_name, _level, parent) in zip(regions, specs):
        region.path = (parent.path if parent else "/") + path_segment(region.id)
    db.session.flush()
    return regions
