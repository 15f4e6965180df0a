"""The only code that changes a product's stock: a conditional UPDATE and a logged movement.

Stock never goes below zero: the UPDATE carries the condition (so concurrent sales cannot
oversell on either database) and the table has a CHECK as the last line.
"""
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.fast import Prepared
from app.models import User
from app.models.shop import SOURCES, Product, StockMovement

products_table = Product.__table__
movements_table = StockMovement.__table__


class InsufficientStock(DomainError):
    """A sale asked for more units of a product than the shop has."""

    status = 422
    code = "insufficient_stock"


# The stock's conditional UPDATE and a movement's INSERT, built once (every sale runs them on
# the driver; other stock changes run them through SQLAlchemy).
_CHANGE = Prepared(products_table.update()
                   .where(products_table.c.id == sa.bindparam("product"),
                          products_table.c.stock + sa.bindparam("quantity") >= 0)
                   .values(stock=products_table.c.stock + sa.bindparam("quantity"))
                   .returning(products_table.c.stock))
_LOG = Prepared(movements_table.insert())


def _change(product, quantity: int, sale: bool = False) -> int:
    """One conditional UPDATE of a product's stock by `quantity` (signed): the stock after, or
    InsufficientStock naming the product. `product` is a Product or a row with its id and name."""
    params = {"product": product.id, "quantity": quantity}
    stock_after = (_CHANGE.run(params) if sale else _CHANGE.run_plain(params)).scalar()
    if stock_after is None:
        left = db.session.scalar(sa.select(products_table.c.stock)
                                 .where(products_table.c.id == product.id))
        raise InsufficientStock(_("Only %(left)d of %(name)s left; %(wanted)d asked for.",
                                  left=left or 0, name=product.name, wanted=-quantity))
    return stock_after


def sell(actor: User, shop_id: int, products: dict, wanted: dict[int, int], redemption_id: int) -> None:
    """A sale's stock: each product of the basket down by its quantity (in id order, so
    concurrent baskets queue instead of deadlocking), never below zero, logged in one INSERT."""
    rows = [dict(shop_id=shop_id, product_id=product_id, kind="redeemed", quantity=-wanted[product_id],
                 stock_after=_change(products[product_id], -wanted[product_id], sale=True), source=None, note="",
                 redemption_id=redemption_id, actor_id=actor.id)
            for product_id in sorted(wanted)]
    _LOG.run(rows)


def move(actor: Optional[User], product: Product, kind: str, quantity: int, source: Optional[str] = None,
         note: str = "", redemption_id: Optional[int] = None) -> StockMovement:
    """Change a product's stock by `quantity` (signed) and log it; never below zero.

    Runs inside the caller's transaction; raises InsufficientStock naming the product.
    """
    if quantity == 0:
        raise InvalidInput(_("The quantity must not be zero."))
    stock_after = _change(product, quantity)
    movement = StockMovement(shop_id=product.shop_id, product_id=product.id, kind=kind,
                             quantity=quantity, stock_after=stock_after, source=source,
                             note=(note or "")[:200], redemption_id=redemption_id,
                             actor_id=actor.id if actor else None)
    db.session.add(movement)  # written with the caller's next flush, in one batch with the rest
    return movement


def receive(actor: User, product: Product, quantity: int, source: str, note: str = "") -> StockMovement:
    """Goods received from a source (bought by the village, donated, returned)."""
    if source not in SOURCES:
        raise InvalidInput(_("Choose where the goods came from."))
    if not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput(_("Received goods need a quantity above zero."))
    return move(actor, product, "received", quantity, source=source, note=note)


def count(actor: User, product: Product, counted: int, reason: str) -> Optional[StockMovement]:
    """A stock-take: set the stock to what was counted, logging the difference with its reason."""
    if not isinstance(counted, int) or counted < 0:
        raise InvalidInput(_("The counted stock must be zero or more."))
    if not (reason or "").strip():
        raise InvalidInput(_("A stock-take needs a reason."))
    current = db.session.scalar(sa.select(Product.stock).where(Product.id == product.id)
                                .with_for_update())
    if counted == current:
        return None
    return move(actor, product, "counted", counted - current, note=reason.strip())
