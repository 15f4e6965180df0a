"""The demo's points shop: 罗翠村's catalogue with stock, and a month of real redemptions."""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app import demo
from app.extensions import db
from app.ledger import reads
from app.models import Household, LedgerEntry, User
from app.models.shop import Product, Redemption, RedemptionLine, StockMovement


def test_demo_shop_has_a_catalogue_and_a_month_of_redemptions(app):
    demo.load()
    keeper = db.session.scalar(sa.select(User).where(User.username == "shop"))
    products = {p.name: p for p in db.session.scalars(sa.select(Product)
                                                      .where(Product.shop_id == keeper.shop_id))}
    for word in ("大米", "食用油", "香皂", "毛巾", "洗衣粉", "牙膏"):
        assert any(word in name for name in products), word
    oil = next(p for n, p in products.items() if "食用油" in n)
    assert 30 <= oil.points <= 50 and all(p.stock > 0 for p in products.values())
    for product in products.values():  # stock is the sum of its movements
        moved = db.session.scalar(sa.select(sa.func.sum(StockMovement.quantity))
                                  .where(StockMovement.product_id == product.id))
        assert moved == product.stock
    sales = db.session.scalars(sa.select(Redemption).where(Redemption.shop_id == keeper.shop_id)).all()
    assert len(sales) >= 30
    now = datetime.now(UTC)
    assert min(s.created_at for s in sales) < now - timedelta(days=25)
    for sale in sales:
        entry = db.session.get(LedgerEntry, sale.entry_id)
        assert (entry.kind, entry.points, entry.ref_id) == ("redemption", -sale.points, sale.id)
        lines = db.session.scalars(sa.select(RedemptionLine)
                                   .where(RedemptionLine.redemption_id == sale.id)).all()
        assert sum(l.quantity * l.points for l in lines) == sale.points
    household = db.session.get(Household, db.session.scalar(
        sa.select(User.household_id).where(User.username == "household")))
    assert household.balance >= 200
    assert reads.verify() == []
