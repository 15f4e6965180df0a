"""The counter before the sale: a read code opens a basket for the household it belongs to."""
from types import SimpleNamespace
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app.access import permissions
from app.access.shop import serves
from app.database import transaction
from app.errors import NotAllowed
from app.extensions import db
from app.models import Household, User
from app.models.shop import PaymentCode, Product
from app.shop import codes
from app.shop.cards import services as cards
from app.shop.vouchers import services as vouchers


def code_id(text: str) -> Optional[int]:
    """The id of the payment code `text` (scanned or typed) is, or None (read only)."""
    column, value = codes.hash_of(text)
    return db.session.scalar(sa.select(PaymentCode.id).where(column == value))


def _household_here(actor: User, code: PaymentCode) -> Household:
    household = db.session.get(Household, code.household_id)
    if not serves(actor.shop_id, household.village_id) or not household.active:
        raise NotAllowed(_("This household belongs to another village's shop."), code="other_village")
    return household


@transaction()
def open_basket(actor: User, text: str) -> PaymentCode:
    """A shop keeper read or typed a code: hold it for their basket (CodeInvalid, NotAllowed)."""
    permissions.require(actor, "shop.checkout", actor.shop)
    code = codes.hold(actor, text)
    _household_here(actor, code)  # another village's household: the hold is rolled back
    return code


def basket(actor: User, code_id: int) -> SimpleNamespace:
    """What the basket page shows: the held code, its household, and the products in stock."""
    permissions.require(actor, "shop.checkout", actor.shop)
    code = codes.held_code(actor, code_id)
    household = _household_here(actor, code)
    products = db.session.scalars(sa.select(Product).where(
        Product.shop_id == actor.shop_id, Product.active.is_(True), Product.stock > 0)
        .order_by(Product.category, Product.name)).all()
    return SimpleNamespace(code=code, household=household, products=products)


def read_code(actor: User, text: str) -> tuple[str, int]:
    """What a scanned or typed code opens: ("basket", payment code id), ("voucher", id) or
    ("card", card id), which needs the household's PIN before its basket.

    Unknown, used and expired codes all raise the same CodeInvalid; cards that cannot pay here
    raise CardInvalid.
    """
    def voucher() -> tuple[str, int]:
        permissions.require(actor, "shop.checkout", actor.shop)
        found = vouchers.find(text)
        if found is None or found.shop_id != actor.shop_id:
            raise codes.invalid()
        return "voucher", found.id

    if (text or "").strip().startswith(vouchers.PREFIX):
        return voucher()
    if (text or "").strip().startswith(cards.PREFIX):
        return "card", cards.read(actor, text).id
    try:
        return "basket", open_basket(actor, text).id
    except codes.CodeInvalid:
        if codes.typed_number(text):
            return voucher()
        raise
