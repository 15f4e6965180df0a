"""Changing the region tree by hand: add, rename, deactivate, move a village, merge two villages.

Administrators and the officials of a region above may do each; each is one transaction with
an audit entry. Regions are never deleted: households' history and accounts name them.
"""
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit
from app.access import permissions
from app.database import transaction
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.models import (Claim, Grid, Household, Objection, Region, RegionLevel, Shop, ShopVillage,
                        User)
from app.figures import recount, region_points, regions, rollup
from app.regions import codes
from app.models.region import subtree_clause
from app.regions.services import path_segment

NAME_MAX = 64


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("A place needs a name."))
    if len(name) > NAME_MAX:
        raise InvalidInput(_("The name is too long (at most %(max)d characters).", max=NAME_MAX))
    return name


def _code_for(code: Optional[str], parent: Region, level: int,
              exclude_id: Optional[int] = None) -> Optional[str]:
    """A checked division code for a region of `level` under `parent`, or None when none given."""
    code = codes.normalise(code or "")
    if not code:
        return None
    if not codes.is_valid(code) or codes.level_of(code) != level:
        raise InvalidInput(_("%(code)s is not a 12-digit division code of this level.", code=code[:20]))
    if parent.code and codes.parent_code(code) != parent.code:
        raise InvalidInput(_("The code %(code)s does not lie under %(parent)s (%(parent_code)s).",
                             code=code, parent=parent.name, parent_code=parent.code))
    taken = db.session.scalar(sa.select(Region).where(Region.code == code))
    if taken is not None and taken.id != exclude_id:
        raise Conflict(_("The code %(code)s already belongs to %(name)s.", code=code, name=taken.name))
    return code


def add_region(actor: User, parent: Region, name: str, code: Optional[str] = None) -> Region:
    """Add a township under a county or a village under a township (with its code, if known)."""
    permissions.require(actor, "regions.add_under", parent)
    if parent.level >= RegionLevel.VILLAGE:
        raise InvalidInput(_("A village has no places under it."))
    if not parent.active:
        raise InvalidInput(_("%(name)s is inactive.", name=parent.name))
    with transaction(conflict=_("This code was taken meanwhile.")):
        region = Region(name=_name(name), level=parent.level + 1, parent_id=parent.id, active=True,
                        code=_code_for(code, parent, parent.level + 1))
        db.session.add(region)
        db.session.flush()
        region.path = parent.path + path_segment(region.id)
        audit.record("region_added", f"region:{region.id}", f"{region.code or ''} {region.name}",
                     actor)
    return region


def rename_region(actor: User, region: Region, name: str) -> Region:
    """Give a place its new name (its code, history and accounts stay)."""
    permissions.require(actor, "regions.manage", region)
    with transaction():
        old, region.name = region.name, _name(name)
        audit.record("region_renamed", f"region:{region.id}", f"{old} -> {region.name}", actor)
    return region


def set_region_active(actor: User, region: Region, active: bool) -> Region:
    """Deactivate a place that has nothing active under it, or reactivate one (not a merged one)."""
    permissions.require(actor, "regions.manage", region)
    with transaction():
        if active and region.merged_into_id is not None:
            raise InvalidInput(_("A merged village stays inactive."))
        if not active:
            children = db.session.scalar(sa.select(sa.func.count(Region.id)).where(
                Region.parent_id == region.id, Region.active.is_(True)))
            households = db.session.scalar(sa.select(sa.func.count(Household.id)).where(
                Household.village_id == region.id, Household.active.is_(True)))
            if children or households:
                raise Conflict(_("%(name)s still has active places or households under it: move, "
                                 "merge or deactivate them first.", name=region.name))
        region.active = active
        audit.record("region_reactivated" if active else "region_deactivated",
                     f"region:{region.id}", region.name, actor)
    return region


def move_village(actor: User, village: Region, township: Region,
                 code: Optional[str] = None) -> Region:
    """Put a village under another township; it needs its new code when the old one no longer fits."""
    permissions.require(actor, "regions.manage", village)
    permissions.require(actor, "regions.add_under", township)
    if not village.is_village or township.level != RegionLevel.TOWNSHIP:
        raise InvalidInput(_("Only a village can be moved, and only to a township."))
    if not township.active:
        raise InvalidInput(_("%(name)s is inactive.", name=township.name))
    with transaction(conflict=_("This code was taken meanwhile.")):
        new_code = _code_for(code, township, RegionLevel.VILLAGE, exclude_id=village.id)
        if new_code is None and village.code and township.code \
                and codes.parent_code(village.code) != township.code:
            raise InvalidInput(_("%(name)s's code %(code)s does not lie under %(township)s: give its "
                                 "new division code.", name=village.name, code=village.code,
                                 township=township.name))
        old = village.parent.name if village.parent else ""
        before = village.ancestor_ids
        village.parent_id, village.path = township.id, township.path + path_segment(village.id)
        village.code = new_code or village.code
        db.session.flush()
        regions.lock([village.id])  # before the cadres' tables, as the village's writers take it
        # Its cadres now count in the regions above its new place, no longer in the old ones.
        recount.refresh_cadre_counts(set(before + village.ancestor_ids) - {village.id})
        regions.moved(village.id, before)  # and its months, from the regions it left to its new ones
        region_points.moved(village.id, before)  # and its points by rule category
        audit.record("village_moved", f"region:{village.id}",
                     f"{old} -> {township.name} {village.code or ''}", actor)
    return village


def merge_villages(actor: User, merged: Region, survivor: Region) -> dict[str, int]:
    """撤并: `merged`'s households (with their history), grids, accounts and shops move to
    `survivor`; `merged` stays, inactive, pointing at it. Clashing household numbers and grid
    names of the merged village get its code's last digits (or its id) in front."""
    permissions.require(actor, "regions.manage", merged)
    permissions.require(actor, "regions.manage", survivor)
    if not (merged.is_village and survivor.is_village) or merged.id == survivor.id:
        raise InvalidInput(_("Choose two different villages."))
    if not (merged.active and survivor.active):
        raise InvalidInput(_("Both villages must be active."))
    with transaction(conflict=_("The villages changed meanwhile. Nothing was merged; try again.")):
        _refuse_open_business(merged)
        tag = merged.code[-3:] if merged.code else str(merged.id)
        renumbered = _clear_clashes(Household, Household.number, merged, survivor, tag, 32)
        regridded = _clear_clashes(Grid, Grid.name, merged, survivor, tag, 64)
        counts = {"renumbered": renumbered, "grids_renamed": regridded}
        moving, people = db.session.execute(sa.select(
            sa.func.count(Household.id), sa.func.coalesce(sa.func.sum(Household.members), 0))
            .where(Household.village_id == merged.id, Household.active.is_(True))).one()
        for model in (Household, Grid, Shop):
            counts[model.__tablename__] = db.session.execute(
                sa.update(model).where(model.village_id == merged.id)
                .values(village_id=survivor.id)).rowcount
        counts["users"] = db.session.execute(
            sa.update(User).where(User.region_id == merged.id).values(region_id=survivor.id)).rowcount
        _move_served(merged, survivor)
        regions.lock([merged.id, survivor.id])  # both at once, in order: no lock cycle
        rollup.households(merged.id, -moving, -people)
        rollup.households(survivor.id, moving, people)
        merged.active, merged.merged_into_id = False, survivor.id
        audit.record("villages_merged", f"region:{merged.id}",
                     f"into {survivor.id} {survivor.name}: {counts}", actor)
    return counts


def _move_served(merged: Region, survivor: Region) -> None:
    """Shops that served the merged village serve the survivor (once, if they served both)."""
    both = sa.select(ShopVillage.shop_id).where(ShopVillage.village_id == survivor.id)
    db.session.execute(sa.delete(ShopVillage).where(ShopVillage.village_id == merged.id,
                                                    ShopVillage.shop_id.in_(both)))
    db.session.execute(sa.update(ShopVillage).where(ShopVillage.village_id == merged.id)
                       .values(village_id=survivor.id))


def _refuse_open_business(village: Region) -> None:
    """Pending claims and open objections name the village's own rules: settle them first."""
    in_village = sa.select(Household.id).where(Household.village_id == village.id)
    waiting = db.session.scalar(sa.select(sa.func.count(Claim.id)).where(
        Claim.household_id.in_(in_village), Claim.status == "pending")) + db.session.scalar(
        sa.select(sa.func.count(Objection.id)).where(
            Objection.household_id.in_(in_village), Objection.status == "open"))
    if waiting:
        raise Conflict(_("%(name)s has %(num)d claims or objections waiting: decide them before "
                         "the merge.", name=village.name, num=waiting))


def _clear_clashes(model, column, merged: Region, survivor: Region, tag: str, limit: int) -> int:
    """Rename the merged village's rows whose key the survivor already uses; returns how many."""
    taken = set(db.session.scalars(sa.select(column).where(model.village_id == survivor.id)))
    taken |= set(db.session.scalars(sa.select(column).where(model.village_id == merged.id)))
    clashing = list(db.session.scalars(sa.select(model).where(
        model.village_id == merged.id, column.in_(
            sa.select(column).where(model.village_id == survivor.id))).order_by(model.id)))
    for row in clashing:
        key = column.key
        new = f"{tag}-{getattr(row, key)}"[:limit]
        if new in taken:
            new = f"{tag}-{row.id}"[:limit]
        setattr(row, key, new)
        taken.add(new)
    db.session.flush()
    return len(clashing)


def move_targets(actor: User, village: Region) -> list[Region]:
    """Active townships of the village's county (other than its own) the actor may move it to."""
    county = db.session.get(Region, village.ancestor_ids[-3]) if len(village.ancestor_ids) >= 3 \
        else None
    if county is None:
        return []
    found = db.session.scalars(sa.select(Region).where(
        subtree_clause(Region.path, county.path), Region.level == RegionLevel.TOWNSHIP,
        Region.active.is_(True), Region.id != village.parent_id).order_by(Region.path))
    return [t for t in found if permissions.may(actor, "regions.add_under", t)]


def merge_targets(actor: User, village: Region) -> list[Region]:
    """Other active villages of the same township the actor may merge this one into."""
    found = db.session.scalars(sa.select(Region).where(
        Region.parent_id == village.parent_id, Region.level == RegionLevel.VILLAGE,
        Region.active.is_(True), Region.id != village.id).order_by(Region.path))
    return [v for v in found if permissions.may(actor, "regions.manage", v)]
