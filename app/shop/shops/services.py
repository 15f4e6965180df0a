"""Opening points shops, the villages each serves, and its shop keepers' accounts.

A shop belongs to one village, whose committee runs it; it may also serve neighbouring villages'
households (a township's joint shop), which only an official above those villages (or an
administrator) decides. Shop keepers get accounts with one-time passwords, printed on a slip like
the county's bulk accounts, and are switched off here when they leave.
"""
from typing import Iterable, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app import audit
from app.access import permissions, scope
from app.accounts import bulk
from app.accounts import services as accounts
from app.database import transaction
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Region, RegionLevel, Role, Shop, ShopVillage, User
from app.pagination import Page, keyset_page


def shops_query(user: User) -> sa.Select:
    """The shops of the villages a user sees (its own village's for a committee)."""
    villages = scope.villages_query(user).with_only_columns(Region.id)
    return sa.select(Shop).where(Shop.village_id.in_(villages))


def shops_page(user: User, cursor: Optional[str], limit: int) -> Page:
    """The shops in the user's scope, a page at a time (a city has one in most villages)."""
    query = shops_query(user).options(so.joinedload(Shop.village))  # the list names each village
    return keyset_page(query, [Shop.id], cursor, limit)


def shop_or_404(user: User, shop_id: int) -> Shop:
    """A shop in the user's scope, or NotFound."""
    shop = db.session.scalar(shops_query(user).where(Shop.id == shop_id))
    if shop is None:
        raise NotFound(_("No points shop here."))
    return shop


def served(shop: Shop) -> list[Region]:
    """The villages a shop serves, its own first."""
    return list(db.session.scalars(
        sa.select(Region).join(ShopVillage, ShopVillage.village_id == Region.id)
        .where(ShopVillage.shop_id == shop.id)
        .order_by(Region.id != shop.village_id, Region.path)))


def neighbours(shop: Shop) -> list[Region]:
    """The active villages a shop could serve: those of its own village's township."""
    village = db.session.get(Region, shop.village_id)
    return list(db.session.scalars(sa.select(Region).where(
        Region.parent_id == village.parent_id, Region.level == RegionLevel.VILLAGE,
        Region.active.is_(True)).order_by(Region.path)))


def keepers(shop: Shop) -> list[User]:
    """The shop's keeper accounts, active first."""
    return list(db.session.scalars(sa.select(User).where(
        User.role == Role.SHOP, User.shop_id == shop.id)
        .order_by(User.active.desc(), User.username)))


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A shop needs a name."))
    return name[:64]


@transaction()
def open_shop(actor: User, village_id: int, name: str) -> Shop:
    """Open a points shop in a village; it serves that village's households."""
    village = db.session.get(Region, village_id)
    if village is None or not village.is_village or not village.active:
        raise InvalidInput(_("Choose a village."))
    permissions.require(actor, "shop.open", village.id)
    shop = Shop(village_id=village.id, name=_name(name), active=True)
    db.session.add(shop)
    db.session.flush()  # the shop now serves its own village (models.user)
    audit.record("shop.opened", f"shop:{shop.id}", f"{village.name} {shop.name}", actor)
    return shop


@transaction()
def rename(actor: User, shop_id: int, name: str) -> Shop:
    """Give a shop a new name."""
    shop = shop_or_404(actor, shop_id)
    permissions.require(actor, "shop.open", shop.village_id)
    shop.name = _name(name)
    audit.record("shop.renamed", f"shop:{shop.id}", shop.name, actor)
    return shop


@transaction()
def set_served(actor: User, shop_id: int, village_ids: Iterable[int]) -> list[int]:
    """Which of its township's villages the shop serves besides its own; returns the new list.

    Only villages whose serving changes need the actor's say (an official above them)."""
    shop = shop_or_404(actor, shop_id)
    wanted = {int(v) for v in village_ids} | {shop.village_id}
    allowed = {v.id for v in neighbours(shop)} | {shop.village_id}
    if not wanted <= allowed:
        raise InvalidInput(_("A shop can serve only villages of its own township."))
    now = set(db.session.scalars(sa.select(ShopVillage.village_id)
                                 .where(ShopVillage.shop_id == shop.id)))
    for village_id in sorted(wanted ^ now):
        permissions.require(actor, "shop.serve", village_id)
    if now - wanted:
        db.session.execute(sa.delete(ShopVillage).where(
            ShopVillage.shop_id == shop.id, ShopVillage.village_id.in_(now - wanted)))
    for village_id in sorted(wanted - now):
        db.session.add(ShopVillage(shop_id=shop.id, village_id=village_id))
    if wanted != now:
        audit.record("shop.serves", f"shop:{shop.id}", ",".join(map(str, sorted(wanted))), actor)
    return sorted(wanted)


@transaction(conflict="This username was taken meanwhile. Nothing was created; try again.")
def add_keeper(actor: User, shop_id: int, display_name: str) -> bulk.Slip:
    """A new shop-keeper account with a one-time password, for a printed slip."""
    shop = shop_or_404(actor, shop_id)
    permissions.require(actor, "shop.open", shop.village_id)
    display_name = (display_name or "").strip()
    if not display_name:
        raise InvalidInput(_("Give the shop keeper's name."))
    count = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.shop_id == shop.id))
    village = db.session.get(Region, shop.village_id)
    wanted = [(village.name, display_name[:64], f"s{shop.id}-{count + 1}", Role.SHOP,
               {"shop_id": shop.id})]
    return bulk.make(actor, wanted)[0]


@transaction()
def set_keeper_active(actor: User, shop_id: int, user_id: int, active: bool) -> User:
    """Switch a shop keeper's account off when they leave (on again if they come back)."""
    shop = shop_or_404(actor, shop_id)
    permissions.require(actor, "shop.open", shop.village_id)
    keeper = db.session.scalar(sa.select(User).where(
        User.id == user_id, User.role == Role.SHOP, User.shop_id == shop.id))
    if keeper is None:
        raise NotFound(_("This account does not exist."))
    if keeper.active != active:
        accounts.set_active(keeper, active, actor)  # sessions and API tokens end with it
    return keeper
