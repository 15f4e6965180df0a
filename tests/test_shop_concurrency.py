"""Races at the counter: threads with their own sessions, released together by a barrier."""
import pytest
import sqlalchemy as sa

from app.errors import InsufficientPoints
from app.extensions import db
from app.ledger import reads, services
from app.models import Household, LedgerEntry, User
from app.models.shop import Product, Redemption
from app.shop import checkout, codes, stock
from tests import factories
from tests.shop_world import make_shop_world
from tests.races import race

THREADS = 20


def keeper(ids):
    return db.session.get(User, ids["keeper"])


@pytest.fixture
def ids(app):
    w = make_shop_world()
    found = {"keeper": w.keeper.id, "h1": w.h1.id, "oil": w.oil.id, "rice": w.rice.id,
             "soap": w.soap.id, "h1_user": w.h1_user, "w": w}
    return found


def _settle():
    db.session.rollback()  # the main session must not hold SQLite's write lock during the race


def _clean():
    db.session.expire_all()
    assert reads.verify() == []


def test_one_code_redeemed_by_twenty_at_once_pays_once(app, ids):
    secret = codes.issue(ids["h1_user"])["secret"]
    _settle()
    results = race(app, lambda i: checkout.checkout(keeper(ids), [(ids["soap"], 1)], f"key-{i}",
                                                    code=secret).id)
    paid = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, codes.CodeInvalid)]
    assert len(paid) == 1 and len(refused) == THREADS - 1, results
    _clean()
    assert db.session.get(Household, ids["h1"]).balance == 95
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))
                             .where(LedgerEntry.kind == "redemption")) == 1


def test_many_codes_of_one_household_never_overdraw(app, ids):
    secrets = [codes.issue(ids["h1_user"])["secret"] for _ in range(THREADS)]
    _settle()
    results = race(app, lambda i: checkout.checkout(keeper(ids), [(ids["rice"], 1)], f"key-{i}",
                                                    code=secrets[i]).id)
    paid = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    assert len(paid) == 2 and len(refused) == THREADS - 2, results  # 100 points, 50 each
    _clean()
    assert db.session.get(Household, ids["h1"]).balance == 0
    assert db.session.get(Product, ids["rice"]).stock == 8


def test_last_units_bought_at_once_never_oversell(app, ids):
    w = ids["w"]
    users = []
    for i in range(THREADS):
        household = factories.household(w.home, head_name=f"买油{i}")
        services.award(w.committee, [household.id], w.rule.id)
        users.append(factories.user(f"buyer{i}", "household", household_id=household.id))
    secrets = [codes.issue(u)["secret"] for u in users]
    _settle()
    results = race(app, lambda i: checkout.checkout(keeper(ids), [(ids["oil"], 1)], f"key-{i}",
                                                    code=secrets[i]).id)
    paid = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, stock.InsufficientStock)]
    assert len(paid) == 3 and len(refused) == THREADS - 3, results
    _clean()
    assert db.session.get(Product, ids["oil"]).stock == 0
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == 3


def test_one_idempotency_key_sent_twenty_times_makes_one_sale(app, ids):
    secret = codes.issue(ids["h1_user"])["secret"]
    _settle()
    results = race(app, lambda i: checkout.checkout(keeper(ids), [(ids["oil"], 1)], "double-tap",
                                                    code=secret).id)
    assert all(isinstance(r, int) for r in results) and len(set(results)) == 1, results
    _clean()
    assert db.session.get(Household, ids["h1"]).balance == 60
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == 1
