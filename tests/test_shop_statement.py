"""The monthly statement agrees with sums computed here from the movements the test made."""
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.models.shop import StockMovement
from app.shop import checkout, codes
from app.shop.catalogue import services as catalogue
from app.shop.reports import reads as reports, statement
from tests.shop_world import make_shop_world


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    world = make_shop_world()
    from app.ledger import services
    services.award(world.committee, [world.h1.id], world.rule.id)  # 200 points
    return world


def test_statement_agrees_with_the_movements(w):
    month = reports.today().replace(day=1)
    # Last month: a delivery that must count as opening stock, not as received.
    catalogue.receive_goods(w.keeper, w.soap.id, 7, "donation")
    start, _end = statement.month_bounds(month)
    db.session.execute(StockMovement.__table__.update()
                       .where(StockMovement.__table__.c.product_id == w.soap.id)
                       .values(created_at=start - timedelta(days=2)))
    db.session.commit()
    catalogue.receive_goods(w.keeper, w.soap.id, 4, "returned")
    sale = checkout.checkout(w.keeper, [(w.soap.id, 3), (w.oil.id, 1)], "s-1",
                             code=codes.issue(w.h1_user)["secret"])
    checkout.checkout(w.keeper, [(w.soap.id, 2)], "s-2", code=codes.issue(w.h1_user)["secret"])
    checkout.void(w.keeper, sale.id, "退货")
    catalogue.stock_take(w.keeper, w.soap.id, 50, "盘点")

    lines, points = statement.monthly(w.shop.id, month)
    soap = next(line for line in lines if line.product.id == w.soap.id)
    moves = db.session.scalars(sa.select(StockMovement)
                               .where(StockMovement.product_id == w.soap.id)).all()
    before = [m for m in moves if m.created_at < start]
    during = [m for m in moves if m.created_at >= start]
    assert soap.opening == sum(m.quantity for m in before) == 57
    assert soap.received == {"village": 0, "donation": 0, "returned": 4}
    assert soap.redeemed == -sum(m.quantity for m in during if m.kind == "redeemed") == 5
    assert soap.voided == sum(m.quantity for m in during if m.kind == "voided") == 3
    assert soap.counted == sum(m.quantity for m in during if m.kind == "counted")
    assert soap.closing == soap.opening + sum(m.quantity for m in during) == 50
    assert soap.held == 0
    assert all(line.difference == 0 for line in lines)
    assert points == {"count": 1, "redeemed": 10, "voided": 55}


def test_difference_is_flagged(w):
    # A movement whose recorded stock disagrees with the sum (a hand-edited database).
    db.session.execute(StockMovement.__table__.update()
                       .where(StockMovement.__table__.c.product_id == w.rice.id)
                       .values(stock_after=9))
    db.session.commit()
    lines, _points = statement.monthly(w.shop.id, reports.today().replace(day=1))
    assert next(line for line in lines if line.product.id == w.rice.id).difference == -1


def test_statement_page_and_downloads(client, w):
    checkout.checkout(w.keeper, [(w.oil.id, 2)], "s-3", code=codes.issue(w.h1_user)["secret"])
    client.post("/login", data={"username": "committee", "password": "secret-pass"})
    page = client.get("/shop/statement")
    assert page.status_code == 200 and 'id="statement-points">80<' in page.text
    assert client.get("/shop/statement?month=2026-99").status_code == 200
    book = client.get("/shop/statement.xlsx")
    assert book.status_code == 200 and "attachment" in book.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(book.data)).active.iter_rows(values_only=True))
    oil = next(r for r in rows if r and r[0] == "食用油")
    assert oil[1] == 0 and oil[2] == 0 and oil[3] == 3 and oil[5] == 2 and oil[9] == 1
    day = client.get("/shop/redemptions.xlsx")
    rows = list(load_workbook(io.BytesIO(day.data)).active.iter_rows(values_only=True))
    assert [r[4:7] for r in rows[1:]] == [("食用油", 2, 80)]
    stock = client.get("/shop/products.xlsx")
    assert stock.status_code == 200
    client.post("/logout")
    client.post("/login", data={"username": "committee2", "password": "secret-pass"})
    assert client.get(f"/shop/statement.xlsx?shop={w.shop.id}").status_code == 404


def test_goods_held_for_orders_are_their_own_column(w):
    from app.shop.vouchers import services as vouchers

    vouchers.order(w.h1_user, [(w.oil.id, 2)], "v-s")
    lines, _points = statement.monthly(w.shop.id, reports.today().replace(day=1))
    oil = next(line for line in lines if line.product.id == w.oil.id)
    assert (oil.held, oil.counted, oil.redeemed, oil.closing, oil.difference) == (-2, 0, 0, 1, 0)
