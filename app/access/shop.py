"""Who may run a points shop: its shop keepers at the counter, its village's committee behind it."""
from datetime import UTC, datetime
from typing import Optional

from flask_babel import lazy_gettext as _l

import sqlalchemy as sa

from app.access import scope
from app.access.meetings import official_over, runs_village
from app.access.permissions import EVERYONE, menu_item, role_rule, rule
from app.dates import period_start
from app.extensions import db
from app.fast import Prepared
from app.models import Role, Shop, ShopVillage, User
from app.models.shop import Redemption, Voucher


def serves(shop_id: Optional[int], village_id: Optional[int]) -> bool:
    """True when the shop serves the households of this village (its own, or one it was given)."""
    if shop_id is None or village_id is None:
        return False
    return _SERVES.run({"shop": shop_id, "village": village_id}).first() is not None


# Asked on every sale at the counter: built once, run with parameters.
_SERVES = Prepared(sa.select(ShopVillage.shop_id).where(
    ShopVillage.shop_id == sa.bindparam("shop"), ShopVillage.village_id == sa.bindparam("village")))


@rule("shop.open")
def open_shop(user: User, village_id: Optional[int]) -> bool:
    """Open a points shop in a village, rename it, give it shop keepers: the village's committee,
    an administrator, or an official above the village."""
    return runs_village(user, village_id)


@rule("shop.serve")
def serve_village(user: User, village_id: Optional[int]) -> bool:
    """Let a shop serve (or stop serving) a village's households: an administrator, or an official
    above that village (a committee cannot open another village's households to its shop)."""
    return user.role == Role.ADMIN or official_over(user, village_id)


def _keeper_of(user: User, shop_id: Optional[int]) -> bool:
    return (user.role == Role.SHOP and shop_id is not None and user.shop_id == shop_id
            and user.shop is not None and user.shop.active)


@rule("shop.manage")
def manage_shop(user: User, shop: Optional[Shop]) -> bool:
    """The catalogue and stock of a shop: its shop keepers and its village's committee."""
    if shop is None:
        return False
    return _keeper_of(user, shop.id) or scope.can_manage_village(user, shop.village_id)


@rule("shop.checkout")
def checkout(user: User, shop: Optional[Shop]) -> bool:
    """Read payment codes and sell at the counter: the shop keepers of this (open) shop."""
    return shop is not None and _keeper_of(user, shop.id)


@rule("shop.void")
def void(user: User, redemption: Optional[Redemption]) -> bool:
    """Void a redemption: its shop keeper on the same (local) day, its village's committee later."""
    if redemption is None:
        return False
    if _keeper_of(user, redemption.shop_id):
        return redemption.created_at >= period_start("day", datetime.now(UTC))
    shop = db.session.get(Shop, redemption.shop_id)
    return shop is not None and scope.can_manage_village(user, shop.village_id)


@rule("shop.voucher_cancel")
def cancel_voucher(user: User, voucher: Optional[Voucher]) -> bool:
    """Cancel an order placed ahead: the household that placed it, or the shop that holds it."""
    if voucher is None:
        return False
    if user.role == Role.HOUSEHOLD:
        return user.household_id == voucher.household_id
    return manage_shop(user, db.session.get(Shop, voucher.shop_id))


@rule("shop.voucher_code")
def show_voucher_code(user: User, voucher: Optional[Voucher]) -> bool:
    """See a held voucher's QR and number, which hand its goods over: the household that placed it."""
    return (voucher is not None and user.role == Role.HOUSEHOLD
            and user.household_id == voucher.household_id)


role_rule("shop.counter", frozenset({Role.SHOP}))
role_rule("shop.shops", frozenset({Role.COMMITTEE, Role.OFFICIAL, Role.ADMIN}))
menu_item("shop.shops", "shop.shops_index", _l("Shops"), 22, section="shop")
role_rule("shop.catalogue_manage", frozenset({Role.SHOP, Role.COMMITTEE, Role.ADMIN}))
role_rule("shop.catalogue_read", frozenset({Role.HOUSEHOLD}))
role_rule("shop.product_photo", EVERYONE)  # which photos: the shops scope.shops_for gives
role_rule("shop.catalogue_any", frozenset({Role.HOUSEHOLD, Role.SHOP, Role.COMMITTEE, Role.ADMIN}))

menu_item("shop.counter", "shop.scan", _l("Scan"), 11)
menu_item("shop.catalogue_manage", "shop.products", _l("Products"), 12, section="shop")
menu_item("shop.catalogue_manage", "shop.redemptions", _l("Redemptions"), 13, section="shop")
menu_item("shop.catalogue_manage", "shop.monthly_statement", _l("Statement"), 14, section="reports")
menu_item("shop.catalogue_read", "shop.catalogue_page", _l("Points shop"), 15, section="shop")
role_rule("shop.pay", frozenset({Role.HOUSEHOLD}))
menu_item("shop.pay", "shop.pay", _l("Pay"), 14, section="shop")
menu_item("shop.pay", "shop.my_vouchers", _l("My orders"), 16, section="shop")


@rule("shop.cards")
def manage_cards(user: User, village_id: Optional[int]) -> bool:
    """Issue, reissue, unlock and print household cards: the village's committee (and admin)."""
    return village_id is not None and scope.can_manage_village(user, village_id)


role_rule("shop.cards_pages", frozenset({Role.COMMITTEE, Role.ADMIN}))
role_rule("shop.cards_menu", frozenset({Role.COMMITTEE}))  # admin opens them with ?village=
menu_item("shop.cards_menu", "shop.cards", _l("Household cards"), 17, section="households")
