"""Which regions, villages and households a user may see or change: the one place that decides.

Every page and API call builds its queries from these functions. Anything outside a user's
scope is reported as not found (404), so ids of other villages reveal nothing.
"""
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort
from flask_babel import gettext as _

from app.access import lookup
from app.errors import NotFound
from app.extensions import db
from app.i18n import name_key
from app.models import (Grid, Household, Issue, Meeting, Region, RegionLevel, Role, Shop, ShopVillage,
                        User, VillageSettings)
from app.models.region import subtree_clause
from app.models.shop import Voucher


def root_region(user: User) -> Optional[Region]:
    """The top of the region tree a user may see; None means the whole tree (admin)."""
    if user.role == Role.ADMIN:
        return None
    if user.role in (Role.OFFICIAL, Role.COMMITTEE):
        return user.region
    village_id = user.village_id
    return db.session.get(Region, village_id) if village_id else None


def regions_query(user: User) -> sa.Select:
    """Every region the user may see."""
    query = sa.select(Region)
    if user.role == Role.ADMIN:
        return query
    root = root_region(user)
    if root is None:
        return query.where(sa.false())
    return query.where(subtree_clause(Region.path, root.path))


def unit_accounts_query(user: User) -> sa.Select:
    """The responsible units' accounts serving a region the user may see."""
    return (sa.select(User).where(User.role == Role.UNIT.value)
            .where(User.region_id.in_(regions_query(user).with_only_columns(Region.id))))


def villages_query(user: User) -> sa.Select:
    """Every village the user may see."""
    return regions_query(user).where(Region.level == RegionLevel.VILLAGE)


def households_query(user: User) -> sa.Select:
    """Every household the user may see: itself, its grid, its village, or its subtree."""
    query = sa.select(Household)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.HOUSEHOLD:
        return query.where(Household.id == (user.household_id or -1))
    if user.role == Role.GRID_LEADER:
        return query.where(Household.grid_id == (user.grid_id or -1))
    if user.role in (Role.COMMITTEE, Role.SHOP):
        return query.where(Household.village_id == (user.village_id or -1))
    root = root_region(user)
    if root is None:
        return query.where(sa.false())
    if root.level == RegionLevel.VILLAGE:
        return query.where(Household.village_id == root.id)
    return query.join(Region, Region.id == Household.village_id).where(
        subtree_clause(Region.path, root.path)
    )


def village_ids_under(user: User, region_id: int) -> sa.Select:
    """The ids of the villages under a region the user may see (404 outside the scope)."""
    region = region_or_404(user, region_id)
    return sa.select(Region.id).where(subtree_clause(Region.path, region.path))


def meetings_query(user: User) -> sa.Select:
    """Every meeting the user may see: its own village's (household), or its villages'."""
    if user.role == Role.ADMIN:
        return sa.select(Meeting)
    if user.role == Role.HOUSEHOLD:
        return sa.select(Meeting).where(Meeting.village_id == (user.village_id or -1))
    return sa.select(Meeting).where(
        Meeting.village_id.in_(villages_query(user).with_only_columns(Region.id)))


def issues_query(user: User) -> sa.Select:
    """Every issue the user may read in full: its own household's, a unit's assigned ones, or
    its villages'."""
    if user.role == Role.ADMIN:
        return sa.select(Issue)
    if user.role == Role.HOUSEHOLD:
        return sa.select(Issue).where(Issue.household_id == (user.household_id or -1))
    if user.role == Role.UNIT:  # a responsible unit: only what is assigned to it
        return sa.select(Issue).where(Issue.responsible_user_id == user.id)
    return sa.select(Issue).where(
        Issue.village_id.in_(villages_query(user).with_only_columns(Region.id)))


def can_manage_village(user: User, village_id: int) -> bool:
    """True when the user may change the register, accounts and grids of this village."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.COMMITTEE or user.region_id is None:
        return False
    return user.region_id == village_id or user.region_id in _merged_into(village_id)


def reads_village(user: User, village: Optional[Region]) -> bool:
    """True for who may read a village's figures and reports: administrators, the village's
    committee (a merged village's too) and officials of a region above it."""
    if village is None:
        return False
    if user.role in (Role.ADMIN, Role.COMMITTEE):
        return can_manage_village(user, village.id)
    if user.role == Role.OFFICIAL:
        own = user.region
        return own is not None and village.path.startswith(own.path)
    return False


def _merged_into(village_id: int) -> list[int]:
    """The villages a merged village's history now belongs to (撤并, possibly more than once):
    its ledger entries keep its id, so the survivor's committee manages them."""
    chain, region = [], db.session.get(Region, village_id)
    while region is not None and region.merged_into_id is not None and len(chain) < 10:
        chain.append(region.merged_into_id)
        region = db.session.get(Region, region.merged_into_id)
    return chain


def region_or_404(user: User, region_id: int) -> Region:
    """A region the user may see, or 404."""
    return lookup.scoped_or_404(regions_query(user), Region.id == region_id)


def household_or_404(user: User, household_id: int) -> Household:
    """A household the user may see, or 404."""
    return lookup.scoped_or_404(households_query(user), Household.id == household_id)


def managed_household_or_404(user: User, household_id: int) -> Household:
    """A household whose record the user may change, or 404."""
    household = household_or_404(user, household_id)
    if not can_manage_village(user, household.village_id):
        abort(404)
    return household


def managed_village_or_404(user: User, village_id: Optional[int] = None) -> Region:
    """The village whose register the user may change (a committee's own by default), or 404."""
    village_id = village_id if village_id is not None else user.village_id
    village = db.session.get(Region, village_id) if village_id else None
    if village is None or not village.is_village or not can_manage_village(user, village.id):
        abort(404)
    return village


def grids_query(user: User, village_id: int) -> sa.Select:
    """The grids of a village the user may see."""
    region_or_404(user, village_id)
    return sa.select(Grid).where(Grid.village_id == village_id)


def grids(user: User, village_id: int) -> list[Grid]:
    """The grids of a village the user may see, in pinyin and numeric order (404 outside scope)."""
    return sorted(db.session.scalars(grids_query(user, village_id)), key=lambda g: name_key(g.name))


def managed_grid_or_404(user: User, grid_id: int) -> Grid:
    """A grid of a village whose register the user may change, or 404."""
    grid = lookup.get_or_404(Grid, grid_id)
    managed_village_or_404(user, grid.village_id)
    return grid


# A household account's own row with its village and grid, built once (the households' pages are
# the most visited: building the statement per request cost more than running it), and its
# village's settings (its stars, objection days and year-end banner need them) in the same query.
_OWN_HOUSEHOLD = (sa.select(Household, VillageSettings)
                  .outerjoin(VillageSettings, VillageSettings.village_id == Household.village_id)
                  .options(so.joinedload(Household.village), so.joinedload(Household.grid))
                  .where(Household.id == sa.bindparam("household_id")))


def own_household_or_404(user: User) -> Household:
    """The signed-in household's own record with its village and grid (every household page
    names them: read in the same query instead of two lazy loads), or 404."""
    if user.role == Role.HOUSEHOLD:  # its scope is its own household: households_query's rule
        found = db.session.execute(_OWN_HOUSEHOLD, {"household_id": user.household_id or -1}).first()
        if found is None:
            abort(404)
        VillageSettings.read_along(found[0].village_id, found[1])
        return found[0]
    return lookup.scoped_or_404(
        households_query(user).options(sa.orm.joinedload(Household.village),
                                       sa.orm.joinedload(Household.grid)),
        Household.id == (user.household_id or -1))


def household_ids_subquery(user: User) -> sa.ScalarSelect:
    """The ids of the households the user may see, as a subquery."""
    return households_query(user).with_only_columns(Household.id).scalar_subquery()


def manages_account(user: User, account: User) -> bool:
    """True when `account` is a household or grid-leader account of a village the user manages."""
    return (account.role in (Role.HOUSEHOLD, Role.GRID_LEADER) and account.village_id is not None
            and can_manage_village(user, account.village_id))


def managed_account_or_404(user: User, account_id: int) -> User:
    """A household or grid-leader account of a village the user manages, or 404."""
    account = lookup.get_or_404(User, account_id)
    if not manages_account(user, account):
        abort(404)
    return account


def shops_serving(village_id: Optional[int]) -> sa.Select:
    """The ids of the shops that serve a village's households."""
    return sa.select(ShopVillage.shop_id).where(ShopVillage.village_id == (village_id or -1))


def shops_for(user: User) -> list[Shop]:
    """The shops a user may see: a shop keeper's own, the shops serving a household's village,
    a committee's village's own shops, or every shop (admin). A household's own village's shop
    comes first: it is the one its pages open with."""
    query = sa.select(Shop).where(Shop.active.is_(True)).order_by(Shop.id)
    if user.role == Role.SHOP:
        query = query.where(Shop.id == (user.shop_id or -1))
    elif user.role == Role.HOUSEHOLD:
        query = query.where(Shop.id.in_(shops_serving(user.village_id))).order_by(None).order_by(
            Shop.village_id != (user.village_id or -1), Shop.id)
    elif user.role != Role.ADMIN:
        query = query.where(Shop.village_id == (user.village_id or -1))
    return list(db.session.scalars(query))


def voucher_for(user: User, voucher_id: int) -> Voucher:
    """A voucher of the user's own household, or of a shop the user works in; else NotFound."""
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound(_("This voucher does not exist."))
    if user.role == Role.HOUSEHOLD:
        if voucher.household_id == user.household_id:
            return voucher
    elif voucher.shop_id in {s.id for s in shops_for(user)}:
        return voucher
    raise NotFound(_("This voucher does not exist."))
