"""Order ahead: vouchers hold points and stock; redeemed once, cancelled or expired once."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import DomainError
from app.database import transaction
from app.extensions import db
from app.jobs import registered, run_job
from app.ledger import reads, services
from app.models import Household, LedgerEntry, User
from app.models.shop import Product, StockMovement, Voucher
from app.shop import codes
from app.shop.vouchers import services as vouchers
from tests.shop_world import make_shop_world
from tests.races import race


@pytest.fixture
def w(app):
    return make_shop_world()


def _state(w):
    db.session.expire_all()
    return (db.session.get(Household, w.h1.id).balance, db.session.get(Product, w.oil.id).stock,
            db.session.get(Product, w.soap.id).stock)


def test_order_holds_points_and_stock_and_pickup_redeems_once(w):
    voucher = vouchers.order(w.h1_user, [(w.oil.id, 1), (w.soap.id, 2)], "v-1")
    assert vouchers.order(w.h1_user, [(w.oil.id, 1), (w.soap.id, 2)], "v-1").id == voucher.id
    assert _state(w) == (50, 2, 48)
    secret, number = vouchers.secret_of(voucher), vouchers.number_of(voucher)
    assert secret.startswith("V1") and len(number) == 12
    assert secret not in str(voucher.secret_hash) and vouchers.find(number).id == voucher.id
    assert (voucher.expires_at - datetime.now(UTC)).days in (2, 3)  # the shop's 3 days
    sale = vouchers.redeem(w.keeper, vouchers.find(secret).id)
    assert (sale.points, sale.household_id, sale.balance_after) == (50, w.h1.id, 50)
    assert _state(w) == (50, 2, 48)
    with pytest.raises(codes.CodeInvalid):
        vouchers.redeem(w.keeper, voucher.id)
    kinds = db.session.scalars(sa.select(StockMovement.kind).where(
        StockMovement.product_id == w.oil.id).order_by(StockMovement.id)).all()
    assert kinds == ["received", "reserved", "released", "redeemed"]
    assert reads.verify() == []


def test_household_cancels_and_gets_points_and_stock_back_once(w):
    voucher = vouchers.order(w.h1_user, [(w.oil.id, 2)], "v-2")
    assert _state(w)[:2] == (20, 1)
    with pytest.raises(DomainError):
        vouchers.cancel(w.h2_user, voucher.id)  # not its voucher
    vouchers.cancel(w.h1_user, voucher.id)
    assert _state(w)[:2] == (100, 3)
    with pytest.raises(DomainError):
        vouchers.cancel(w.keeper, voucher.id)
    with pytest.raises(codes.CodeInvalid):
        vouchers.redeem(w.keeper, voucher.id)
    assert reads.verify() == []


def test_too_many_points_or_units_are_refused_whole(w):
    with pytest.raises(DomainError, match="50"):
        vouchers.order(w.h1_user, [(w.rice.id, 3)], "v-4")
    services.award(w.committee, [w.h1.id], w.rule.id)
    with pytest.raises(DomainError, match="食用油"):
        vouchers.order(w.h1_user, [(w.soap.id, 1), (w.oil.id, 4)], "v-3")
    assert _state(w) == (200, 3, 50)
    assert db.session.scalar(sa.select(sa.func.count(Voucher.id))) == 0


def test_other_shops_cannot_redeem(w):
    voucher = vouchers.order(w.h1_user, [(w.soap.id, 1)], "v-5")
    with pytest.raises(codes.CodeInvalid):
        vouchers.redeem(w.other_keeper, voucher.id)


def test_expiry_job_returns_points_and_stock_once_even_run_twice_at_once(app, w):
    ids = [vouchers.order(w.h1_user, [(w.oil.id, 1)], f"v-{i}").id for i in range(2)]
    later = vouchers.order(w.h1_user, [(w.soap.id, 1)], "v-later").id
    db.session.execute(Voucher.__table__.update().where(Voucher.__table__.c.id.in_(ids))
                       .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.session.commit()
    with pytest.raises(codes.CodeInvalid):  # an expired voucher cannot be picked up
        vouchers.redeem(w.keeper, ids[0])
    db.session.rollback()
    job = registered()["shop-expire-vouchers"]
    results = race(app, lambda i: run_job(job))
    assert all(r[0] == "ran" for r in results), results
    db.session.expire_all()
    assert [db.session.get(Voucher, i).status for i in ids] == ["expired", "expired"]
    assert db.session.get(Voucher, later).status == "held"
    assert _state(w) == (95, 3, 49)
    assert reads.verify() == []


def _login(client, username):
    client.post("/logout")
    client.post("/login", data={"username": username, "password": "secret-pass"})


def test_order_show_and_pick_up_through_pages(app, client, w):
    app.config["WTF_CSRF_ENABLED"] = False
    _login(client, "h1")
    page = client.get("/shop/order")
    assert page.status_code == 200 and "食用油" in page.text
    made = client.post("/shop/order", data={"idempotency_key": "o-1", f"qty-{w.oil.id}": "1"})
    assert made.status_code == 302
    voucher = db.session.scalar(sa.select(Voucher))
    shown = client.get(made.headers["Location"])
    assert 'id="voucher-qr"' in shown.text and vouchers.number_of(voucher)[:4] in shown.text
    assert f"/shop/vouchers/{voucher.id}\"" in client.get("/shop/vouchers").text
    _login(client, "keeper2")
    assert client.get(f"/shop/vouchers/{voucher.id}").status_code == 404
    assert client.post("/shop/scan", data={"code": vouchers.secret_of(voucher)}).status_code == 409
    _login(client, "keeper")
    opened = client.post("/shop/scan", data={"code": vouchers.number_of(voucher)})
    assert opened.headers["Location"].endswith(f"/shop/vouchers/{voucher.id}")
    page = client.get(opened.headers["Location"])
    assert 'id="voucher-redeem"' in page.text and 'id="voucher-qr"' not in page.text
    receipt = client.post(f"/shop/vouchers/{voucher.id}/redeem", follow_redirects=True)
    assert 'id="balance-after">60<' in receipt.text
    assert client.post("/shop/scan", data={"code": vouchers.secret_of(voucher)}).status_code == 302
    assert db.session.get(Voucher, voucher.id).status == "redeemed"


def test_committee_sets_how_long_orders_are_kept(app, client, w):
    app.config["WTF_CSRF_ENABLED"] = False
    _login(client, "keeper")
    assert 'id="voucher-days"' not in client.get("/shop/products").text
    client.post(f"/shop/settings?shop={w.shop.id}", data={"voucher_days": "9"})
    assert db.session.get(type(w.shop), w.shop.id).voucher_days == 3
    _login(client, "committee")
    assert 'id="voucher-days"' in client.get("/shop/products").text
    client.post(f"/shop/settings?shop={w.shop.id}", data={"voucher_days": "7"})
    db.session.expire_all()
    assert db.session.get(type(w.shop), w.shop.id).voucher_days == 7
    voucher = vouchers.order(db.session.get(User, w.h1_user.id), [(w.soap.id, 1)], "v-days")
    assert (voucher.expires_at - datetime.now(UTC)).days == 6


def test_another_household_cannot_see_or_cancel_a_voucher(app, client, w):
    app.config["WTF_CSRF_ENABLED"] = False
    voucher = vouchers.order(w.h1_user, [(w.soap.id, 1)], "v-other")
    _login(client, "h2")
    assert client.get(f"/shop/vouchers/{voucher.id}").status_code == 404
    assert client.post(f"/shop/vouchers/{voucher.id}/cancel").status_code == 404
    assert db.session.get(Voucher, voucher.id).status == "held"


def test_holds_come_back_without_borrowing_another_account(w):
    """A household's cancel is its own act, and expiry needs no shop or committee account:
    the released points are recorded as the household's (or the job's), not a stand-in's."""
    mine = vouchers.order(w.h1_user, [(w.oil.id, 1)], "v-own")
    vouchers.cancel(w.h1_user, mine.id)
    reversal = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.reverses_id == mine.entry_id))
    assert reversal.actor_id == w.h1_user.id
    # With every staff account of the village disabled, an order past its date still expires.
    late = vouchers.order(w.h1_user, [(w.oil.id, 1)], "v-late")
    db.session.execute(sa.update(User).where(User.role.in_(("shop", "committee"))).values(active=False))
    db.session.execute(Voucher.__table__.update().where(Voucher.__table__.c.id == late.id)
                       .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.session.commit()
    assert run_job(registered()["shop-expire-vouchers"])[0] == "ran"
    db.session.expire_all()
    assert db.session.get(Voucher, late.id).status == "expired"
    assert _state(w)[:2] == (100, 3)
    assert reads.verify() == []


def test_only_voucher_holds_can_be_released(w):
    sale_entry = services.redeem(w.keeper, w.h1.id, 10)
    with pytest.raises(DomainError):
        with transaction():
            services.release_hold_entry(w.h1_user, sale_entry.id, "not a hold")
    assert _state(w)[0] == 90
