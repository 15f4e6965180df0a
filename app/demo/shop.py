"""Demo points shop for 罗翠村: a village shop's catalogue, its deliveries, and a month of sales.

The ledger demo (app/demo/ledger.py) calls `Sales.sell` where a 罗翠村 household spends points
in the last month, and writes the ledger entry that refers to the redemption made here;
`Sales.finish` then links each redemption to its entry and sets the balance after it.
"""
import random
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from app.extensions import db
from app.models import LedgerEntry, Shop
from app.models.shop import Product, Redemption, RedemptionLine, StockMovement

# (name, category, unit, points, first delivery, source of the delivery)
CATALOGUE = [
    ("大米 5kg", "粮油", "袋", 50, 40, "village"),
    ("食用油 1.8L", "粮油", "瓶", 40, 30, "village"),
    ("挂面 1kg", "粮油", "包", 12, 40, "village"),
    ("食盐", "粮油", "包", 3, 60, "village"),
    ("酱油", "粮油", "瓶", 10, 30, "donation"),
    ("香皂", "日用品", "块", 5, 80, "village"),
    ("洗衣粉 1kg", "日用品", "袋", 15, 40, "village"),
    ("牙膏", "日用品", "支", 8, 50, "donation"),
    ("牙刷", "日用品", "支", 3, 60, "donation"),
    ("毛巾", "日用品", "条", 10, 40, "village"),
    ("洗洁精", "日用品", "瓶", 10, 30, "village"),
    ("卫生纸 10卷", "日用品", "提", 20, 30, "village"),
    ("垃圾袋", "日用品", "卷", 4, 60, "village"),
    ("保温杯", "家居", "个", 60, 8, "donation"),
    ("雨伞", "家居", "把", 30, 10, "village"),
    ("作业本", "文具", "本", 2, 100, "donation"),
]
SALE_WINDOW = timedelta(days=31)


class Sales:
    """A village shop's demo state: products with stock, and the sales made so far."""

    def __init__(self, shop: Shop, keeper_id: Optional[int], committee_id: Optional[int],
                 rng: random.Random, now: datetime):
        self.shop, self.keeper_id, self.rng, self.now = shop, keeper_id, rng, now
        self.since = now - SALE_WINDOW
        delivered = now - timedelta(days=40)
        self.products = []
        for name, category, unit, points, first, _source in CATALOGUE:
            self.products.append(Product(shop_id=shop.id, name=name, category=category, unit=unit,
                                         points=points, stock=first, low_stock=5, active=True,
                                         created_at=delivered))
        db.session.add_all(self.products)
        db.session.flush()
        self.stock = {p.id: 0 for p in self.products}
        for product, line in zip(self.products, CATALOGUE):
            self._move(product, "received", line[4], delivered, source=line[5],
                       note="爱心企业捐赠" if line[5] == "donation" else "村集体采购",
                       actor_id=committee_id)
        # A second delivery of what sells most, half-way through the month.
        for product in self.products[:3]:
            self._move(product, "received", 20, now - timedelta(days=15), source="village",
                       note="月中补货", actor_id=committee_id)

    def _move(self, product, kind, quantity, at, source=None, note="", actor_id=None,
              redemption_id=None):
        self.stock[product.id] += quantity
        db.session.add(StockMovement(shop_id=self.shop.id, product_id=product.id, kind=kind,
                                     quantity=quantity, stock_after=self.stock[product.id],
                                     source=source, note=note, redemption_id=redemption_id,
                                     actor_id=actor_id, created_at=at))

    def sell(self, household_id: int, balance: int, at: datetime) -> Optional[tuple[int, int, str]]:
        """A basket this household can afford at `at` (in the last month): (redemption id, cost, note)."""
        if at < self.since or at > self.now or balance < 10:
            return None
        budget = self.rng.randint(10, max(10, min(balance, 150)))
        basket: dict[int, int] = {}
        cost = 0
        for product in self.rng.sample(self.products, k=len(self.products)):
            quantity = self.rng.choice((1, 1, 1, 2, 3))
            if cost + product.points * quantity <= budget and self.stock[product.id] - basket.get(
                    product.id, 0) >= quantity + 2:
                basket[product.id] = basket.get(product.id, 0) + quantity
                cost += product.points * quantity
            if len(basket) >= 4:
                break
        if not basket:
            return None
        sale = Redemption(shop_id=self.shop.id, household_id=household_id, points=cost,
                          balance_after=balance - cost, actor_id=self.keeper_id, created_at=at)
        db.session.add(sale)
        db.session.flush()
        by_id = {p.id: p for p in self.products}
        for product_id, quantity in sorted(basket.items()):
            product = by_id[product_id]
            db.session.add(RedemptionLine(redemption_id=sale.id, product_id=product_id,
                                          quantity=quantity, points=product.points))
            self._move(product, "redeemed", -quantity, at, actor_id=self.keeper_id,
                       redemption_id=sale.id)
        note = "、".join(f"{by_id[p].name}×{q}" for p, q in sorted(basket.items()))
        return sale.id, cost, note

    def finish(self) -> None:
        """Set each product's stock from its movements, and link each sale to its ledger entry
        and the balance the ledger shows right after it."""
        for product in self.products:
            product.stock = self.stock[product.id]
        entries = LedgerEntry.__table__
        table = Redemption.__table__
        entry_of = (sa.select(entries.c.id).where(entries.c.ref_type == "redemption",
                                                  entries.c.ref_id == table.c.id)
                    .limit(1).scalar_subquery())
        db.session.execute(table.update().where(table.c.shop_id == self.shop.id)
                           .values(entry_id=entry_of))
        mine = entries.alias("mine")
        earlier = entries.alias("earlier")
        after = (sa.select(sa.func.sum(earlier.c.points))
                 .select_from(mine.join(earlier, earlier.c.household_id == mine.c.household_id))
                 .where(mine.c.id == table.c.entry_id,
                        sa.or_(earlier.c.created_at < mine.c.created_at,
                               sa.and_(earlier.c.created_at == mine.c.created_at,
                                       earlier.c.id <= mine.c.id)))
                 .scalar_subquery())
        db.session.execute(table.update().where(table.c.shop_id == self.shop.id)
                           .values(balance_after=sa.func.coalesce(after, table.c.balance_after)))
        db.session.flush()
