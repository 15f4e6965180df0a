"""Voids and the day's redemptions through the pages."""
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.ledger import reads
from app.models import Household
from app.models.shop import Product, Redemption
from app.shop import checkout, codes
from tests.shop_world import make_shop_world


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    world = make_shop_world()
    world.sale = checkout.checkout(world.keeper, [(world.oil.id, 1), (world.soap.id, 2)], "k-1",
                                   code=codes.issue(world.h1_user)["secret"])
    return world


def _login(client, username):
    client.post("/logout")
    client.post("/login", data={"username": username, "password": "secret-pass"})


def test_day_list_totals_and_void_by_keeper(client, w):
    _login(client, "keeper")
    day = client.get("/shop/redemptions")
    assert 'id="total-points">50<' in day.text and 'id="total-items">3<' in day.text
    assert "一户" in day.text
    receipt = client.get(f"/shop/redemptions/{w.sale.id}")
    assert 'id="void-form"' in receipt.text
    client.post(f"/shop/redemptions/{w.sale.id}/void", data={"reason": ""})
    assert db.session.get(Redemption, w.sale.id).voided_at is None  # a reason is needed
    client.post(f"/shop/redemptions/{w.sale.id}/void", data={"reason": "顾客退货"})
    db.session.expire_all()
    assert db.session.get(Redemption, w.sale.id).voided_at is not None
    assert db.session.get(Household, w.h1.id).balance == 100
    assert db.session.get(Product, w.oil.id).stock == 3
    assert 'id="total-points">0<' in client.get("/shop/redemptions").text
    assert reads.verify() == []


def test_earlier_days_are_voided_by_the_committee_only(client, w):
    db.session.execute(Redemption.__table__.update().values(
        created_at=datetime.now(UTC) - timedelta(days=3)))
    db.session.commit()
    _login(client, "keeper")
    assert 'id="void-form"' not in client.get(f"/shop/redemptions/{w.sale.id}").text
    client.post(f"/shop/redemptions/{w.sale.id}/void", data={"reason": "晚了"})
    assert db.session.get(Redemption, w.sale.id).voided_at is None
    _login(client, "committee")
    assert 'id="void-form"' in client.get(f"/shop/redemptions/{w.sale.id}").text
    client.post(f"/shop/redemptions/{w.sale.id}/void", data={"reason": "村委会核实"})
    db.session.expire_all()
    assert db.session.get(Redemption, w.sale.id).voided_at is not None


def test_other_shops_redemptions_are_404(client, w):
    _login(client, "keeper2")
    assert client.get(f"/shop/redemptions/{w.sale.id}").status_code == 404
    assert client.post(f"/shop/redemptions/{w.sale.id}/void", data={"reason": "x"}).status_code == 404
    _login(client, "committee2")
    assert client.get(f"/shop/redemptions/{w.sale.id}").status_code == 404
    assert client.get("/shop/redemptions?day=garbage").status_code == 200


def test_a_voided_receipt_says_the_points_came_back(client, w):
    _login(client, "keeper")
    before = client.get(f"/shop/redemptions/{w.sale.id}").text
    assert 'id="balance-after">50<' in before and 'id="points-returned"' not in before
    client.post(f"/shop/redemptions/{w.sale.id}/void", data={"reason": "顾客退货"})
    receipt = client.get(f"/shop/redemptions/{w.sale.id}").text
    # Under the voided banner: the points returned and the balance now, not the stale 50.
    assert "顾客退货" in receipt and 'id="balance-after"' not in receipt
    assert 'id="points-returned">+50<' in receipt and 'id="balance-now">100<' in receipt
