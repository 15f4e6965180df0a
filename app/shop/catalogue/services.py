"""Which shop a user works with, and the shop's products: add, edit, receive goods, stock-take."""
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit
from app.access import permissions, scope
from app.database import transaction
from app.errors import InvalidInput, NotAllowed, NotFound
from app.extensions import db
from app.models import Shop, User
from app.models.shop import Product, StockMovement
from app.shop import stock

MAX_POINTS = 100_000
MAX_UNITS = 100_000


def shop_for(user: User, shop_id: Optional[int] = None) -> Shop:
    """The shop a page shows: `shop_id` when visible to the user, else the user's first; NotFound."""
    shops = scope.shops_for(user)
    if shop_id is not None:
        shops = [s for s in shops if s.id == shop_id]
    if not shops:
        raise NotFound(_("No points shop here."))
    return shops[0]


def products(shop_id: int, active_only: bool = False) -> list[Product]:
    """A shop's products by category and name."""
    query = sa.select(Product).where(Product.shop_id == shop_id)
    if active_only:
        query = query.where(Product.active.is_(True))
    return list(db.session.scalars(query.order_by(Product.category, Product.name)))


def product_for(user: User, product_id: int) -> Product:
    """A product of a shop the user may see, or NotFound."""
    product = db.session.get(Product, product_id)
    if product is None or product.shop_id not in {s.id for s in scope.shops_for(user)}:
        raise NotFound(_("This product does not exist."))
    return product


def movements(product_id: int, limit: int = 50) -> list[StockMovement]:
    """A product's newest stock movements."""
    return list(db.session.scalars(sa.select(StockMovement)
                                   .where(StockMovement.product_id == product_id)
                                   .order_by(StockMovement.id.desc()).limit(limit)))


def _clean(name: str, points: int, low_stock: int) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A product needs a name."))
    if not isinstance(points, int) or not 0 < points <= MAX_POINTS:
        raise InvalidInput(_("The price must be a whole number of points above zero."))
    if not isinstance(low_stock, int) or not 0 <= low_stock <= MAX_UNITS:
        raise InvalidInput(_("The low-stock warning must be zero or more."))
    return name[:64]


def _check_name_free(shop_id: int, name: str, product_id: Optional[int] = None) -> None:
    query = sa.select(Product.id).where(Product.shop_id == shop_id, Product.name == name)
    if product_id is not None:
        query = query.where(Product.id != product_id)
    if db.session.scalar(query):
        raise InvalidInput(_("The shop already has a product called %(name)s.", name=name))


@transaction(conflict="A product of this name was just added.")
def create_product(actor: User, shop_id: int, name: str, points: int, category: str = "",
                   unit: str = "", low_stock: int = 5, photo: Optional[str] = None) -> Product:
    """Add a product (with no stock: stock comes in as received goods)."""
    shop = shop_for(actor, shop_id)
    permissions.require(actor, "shop.manage", shop)
    name = _clean(name, points, low_stock)
    _check_name_free(shop.id, name)
    product = Product(shop_id=shop.id, name=name, points=points, category=(category or "").strip()[:32],
                      unit=(unit or "").strip()[:16], low_stock=low_stock, stock=0, active=True,
                      photo=photo)
    db.session.add(product)
    db.session.flush()
    audit.record("shop.product_add", f"product:{product.id}", f"{name} {points}", actor)
    return product


@transaction()
def update_product(actor: User, product_id: int, name: str, points: int, category: str,
                   unit: str, low_stock: int, active: bool, photo: Optional[str] = None,
                   remove_photo: bool = False) -> Product:
    """Change a product's name, price, category, unit, warning level or whether it is on sale;
    `photo` replaces its photo, `remove_photo` takes it away (the caller deletes the old file)."""
    product = product_for(actor, product_id)
    permissions.require(actor, "shop.manage", db.session.get(Shop, product.shop_id))
    name = _clean(name, points, low_stock)
    _check_name_free(product.shop_id, name, product.id)
    product.name, product.points, product.low_stock = name, points, low_stock
    product.category, product.unit = (category or "").strip()[:32], (unit or "").strip()[:16]
    product.active = bool(active)
    if photo or remove_photo:
        product.photo = photo
    audit.record("shop.product_edit", f"product:{product.id}", f"{name} {points}", actor)
    return product


@transaction()
def receive_goods(actor: User, product_id: int, quantity: int, source: str, note: str = "") -> StockMovement:
    """Goods received for a product, with their source (village, donation, returned)."""
    product = product_for(actor, product_id)
    permissions.require(actor, "shop.manage", db.session.get(Shop, product.shop_id))
    if not isinstance(quantity, int) or not 0 < quantity <= MAX_UNITS:
        raise InvalidInput(_("Received goods need a quantity above zero."))
    return stock.receive(actor, product, quantity, source, note)


@transaction()
def stock_take(actor: User, product_id: int, counted: int, reason: str) -> Optional[StockMovement]:
    """Record a stock-take of a product; returns the movement, or None when nothing changed."""
    product = product_for(actor, product_id)
    permissions.require(actor, "shop.manage", db.session.get(Shop, product.shop_id))
    if not isinstance(counted, int) or not 0 <= counted <= MAX_UNITS:
        raise InvalidInput(_("The counted stock must be zero or more."))
    return stock.count(actor, product, counted, reason)


@transaction()
def set_voucher_days(actor: User, shop_id: int, days: int) -> Shop:
    """How many days an order-ahead voucher holds points and stock (the village committee's say)."""
    shop = shop_for(actor, shop_id)
    if not scope.can_manage_village(actor, shop.village_id):
        raise NotAllowed(_("Only the village committee sets how long orders are kept."))
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise InvalidInput(_("Orders are kept between 1 and 60 days."))
    shop.voucher_days = days
    return shop
