"""The checkout service: one transaction that claims the code, debits points and takes stock."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import DomainError, InsufficientPoints, NotAllowed
from app.extensions import db
from app.ledger import reads, services
from app.models import Household, LedgerEntry
from app.models.shop import PaymentCode, Product, Redemption, StockMovement
from app.shop import checkout, codes, stock
from tests.shop_world import make_shop_world


@pytest.fixture
def w(app):
    return make_shop_world()


def _state(w):
    db.session.expire_all()
    return (db.session.get(Household, w.h1.id).balance,
            {p.name: p.stock for p in db.session.scalars(sa.select(Product).where(
                Product.shop_id == w.shop.id))},
            db.session.scalar(sa.select(sa.func.count(Redemption.id))),
            db.session.scalar(sa.select(sa.func.count(StockMovement.id))))


def test_checkout_writes_redemption_lines_entry_and_stock(w):
    code = codes.issue(w.h1_user)
    sale = checkout.checkout(w.keeper, [(w.oil.id, 1), (w.soap.id, 2), (w.soap.id, 1)],
                             idempotency_key="basket-1", code=code["secret"])
    assert (sale.points, sale.balance_after, sale.household_id) == (55, 45, w.h1.id)
    assert sorted((l.product_id, l.quantity, l.points) for l in sale.lines) == [
        (w.oil.id, 1, 40), (w.soap.id, 3, 5)]
    entry = db.session.get(LedgerEntry, sale.entry_id)
    assert (entry.kind, entry.points, entry.ref_type, entry.ref_id) == ("redemption", -55, "redemption", sale.id)
    balance, stocks, _count, _moves = _state(w)
    assert balance == 45 and stocks["食用油"] == 2 and stocks["肥皂"] == 47
    moved = db.session.scalars(sa.select(StockMovement).where(StockMovement.redemption_id == sale.id)).all()
    assert sorted((m.kind, m.quantity) for m in moved) == [("redeemed", -3), ("redeemed", -1)]
    assert reads.verify() == []
    # The household sees it in its history at once; the score is unchanged by spending.
    assert db.session.get(Household, w.h1.id).score == 100


def test_same_key_again_is_the_same_sale(w):
    code = codes.issue(w.h1_user)
    first = checkout.checkout(w.keeper, [(w.soap.id, 1)], "k-1", code=code["secret"])
    again = checkout.checkout(w.keeper, [(w.soap.id, 1)], "k-1", code=code["secret"])
    assert again.id == first.id and _state(w)[0] == 95 and _state(w)[2] == 1


def test_too_few_points_changes_nothing_and_says_how_many_are_missing(w):
    code = codes.issue(w.h1_user)
    before = _state(w)
    with pytest.raises(InsufficientPoints, match="30") as caught:  # 130 needed, 100 held
        checkout.checkout(w.keeper, [(w.rice.id, 1), (w.oil.id, 2)], "k-2", code=code["secret"])
    assert "一户" in caught.value.message
    assert _state(w) == before
    # The code was not used up by the failed sale.
    assert checkout.checkout(w.keeper, [(w.soap.id, 1)], "k-3", code=code["secret"]).points == 5


def test_too_little_stock_changes_nothing_and_names_the_product(w):
    services.award(w.committee, [w.h1.id], w.rule.id)  # 200 points
    code = codes.issue(w.h1_user)
    before = _state(w)
    with pytest.raises(stock.InsufficientStock, match="食用油"):
        checkout.checkout(w.keeper, [(w.soap.id, 1), (w.oil.id, 4)], "k-4", code=code["secret"])
    assert _state(w) == before
    assert reads.verify() == []


def test_other_village_code_and_foreign_product_are_refused(w):
    far_code = codes.issue(w.far_user)
    with pytest.raises(NotAllowed):
        checkout.checkout(w.keeper, [(w.soap.id, 1)], "k-5", code=far_code["secret"])
    code = codes.issue(w.h1_user)
    with pytest.raises(DomainError):
        checkout.checkout(w.keeper, [(w.far_soap.id, 1)], "k-6", code=code["secret"])
    with pytest.raises(DomainError):
        checkout.checkout(w.keeper, [], "k-7", code=code["secret"])
    with pytest.raises(DomainError):
        checkout.checkout(w.keeper, [(w.soap.id, "1")], "k-8", code=code["secret"])
    with pytest.raises(DomainError):  # only shop keepers sell
        checkout.checkout(w.committee, [(w.soap.id, 1)], "k-9", code=code["secret"])
    assert _state(w)[2] == 0


def test_held_code_pays_after_the_minute_only_at_its_counter(w):
    code = codes.issue(w.h1_user)
    held = codes.hold(w.keeper, code["number"])
    table = PaymentCode.__table__
    # A basket takes longer than the code's minute: the hold keeps it valid at this counter.
    assert held.expires_at > datetime.now(UTC) + timedelta(minutes=5)
    other = db.session.get(type(w.keeper), w.keeper.id)
    sale = checkout.checkout(other, [(w.soap.id, 2)], "k-10", code_id=held.id)
    assert sale.points == 10
    with pytest.raises(codes.CodeInvalid):
        checkout.checkout(w.keeper, [(w.soap.id, 2)], "k-11", code_id=held.id)
    assert db.session.scalar(sa.select(table.c.used_at).where(table.c.id == held.id)) is not None


def test_void_same_day_by_keeper_gives_points_and_stock_back_once(w):
    sale = checkout.checkout(w.keeper, [(w.oil.id, 2)], "k-12", code=codes.issue(w.h1_user)["secret"])
    with pytest.raises(DomainError):
        checkout.void(w.keeper, sale.id, "")
    voided = checkout.void(w.keeper, sale.id, "拿错了")
    assert voided.voided_at is not None and voided.void_entry_id is not None
    balance, stocks, _c, _m = _state(w)
    assert balance == 100 and stocks["食用油"] == 3
    with pytest.raises(DomainError):
        checkout.void(w.committee, sale.id, "again")
    assert reads.verify() == []


def test_void_of_an_earlier_day_is_for_the_committee(w):
    sale = checkout.checkout(w.keeper, [(w.soap.id, 1)], "k-13", code=codes.issue(w.h1_user)["secret"])
    db.session.execute(Redemption.__table__.update().values(
        created_at=datetime.now(UTC) - timedelta(days=2)))
    db.session.commit()
    with pytest.raises(NotAllowed):
        checkout.void(w.keeper, sale.id, "昨天的")
    with pytest.raises(DomainError):
        checkout.void(w.other_committee, sale.id, "not theirs")
    checkout.void(w.committee, sale.id, "村委会核实")
    assert _state(w)[0] == 100
