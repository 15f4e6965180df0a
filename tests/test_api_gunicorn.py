"""Races through the API under gunicorn as deployed (2 worker processes of 4 threads: the races
run between the threads of one process and between processes), on each test database: 20
concurrent redemptions of one payment code make exactly one sale; replayed keys give the first
result. (tests/test_shop_gunicorn.py races sync workers.)"""
import threading

import sqlalchemy as sa

from app import demo
from app.extensions import db
from app.models import Household, LedgerEntry, Rule, User
from tests.api_server import call, gunicorn

CLIENTS = 20


def _at_once(count, function):
    """Run `function(i)` in `count` threads released together; their results in order."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i):
        barrier.wait()
        results[i] = function(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_concurrent_replays_of_an_award_make_one_entry(app, tmp_path):
    demo.load()
    household = db.session.scalar(sa.select(User).where(User.username == "household")).household_id
    village = db.session.get(Household, household).village_id
    rule = db.session.scalar(sa.select(Rule.id).where(
        Rule.village_id == village, Rule.points > 0, Rule.limit_count.is_(None)).order_by(Rule.id).limit(1))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    with gunicorn(url, tmp_path, workers=2, threads=4) as base:
        status, body = call(base, "POST", "/tokens", {"username": "committee", "password": demo.DEMO_PASSWORD})
        assert status == 201
        award = {"household_ids": [household], "rule_id": rule, "note": "race", "idempotency_key": "race-1"}
        results = _at_once(CLIENTS, lambda i: call(base, "POST", "/awards", award, body["token"]))
    assert [status for status, _ in results] == [201] * CLIENTS
    assert len({answer["entries"][0]["id"] for _, answer in results}) == 1
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.note == "race")) == 1


def _shop_world():
    """The demo with soap on sale at 罗翠村's shop; (household user, soap id)."""
    from app.shop.catalogue import services as catalogue

    demo.load()
    keeper = db.session.scalar(sa.select(User).where(User.username == "shop"))
    soap = catalogue.create_product(keeper, keeper.shop_id, "API肥皂", 5, "日用品", "块")
    catalogue.receive_goods(keeper, soap.id, 100, "village")
    household = db.session.scalar(sa.select(User).where(User.username == "household"))
    return household.household_id, soap.id


def test_twenty_concurrent_redemptions_of_one_code_make_one_sale(app, tmp_path):
    from app.models import Redemption

    household, soap = _shop_world()
    before = db.session.get(Household, household).balance
    sales = db.session.scalar(sa.select(sa.func.count(Redemption.id)))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    with gunicorn(url, tmp_path, workers=2, threads=4) as base:
        _, signed = call(base, "POST", "/tokens", {"username": "shop", "password": demo.DEMO_PASSWORD})
        _, mine = call(base, "POST", "/tokens", {"username": "household", "password": demo.DEMO_PASSWORD})
        _, code = call(base, "POST", "/payment-codes", token=mine["token"])
        basket = {"code": code["code"], "items": [{"product_id": soap, "quantity": 1}]}
        # Different request keys: only the code stops a second sale.
        results = _at_once(CLIENTS, lambda i: call(base, "POST", "/redemptions",
                                                   {**basket, "idempotency_key": f"race-{i}"}, signed["token"]))
        statuses = sorted(status for status, _ in results)
        assert statuses == [201] + [409] * (CLIENTS - 1), statuses
        # The same key again, from many clients at once: the first sale each time, nothing more.
        winner = next(i for i, (status, _) in enumerate(results) if status == 201)
        replays = _at_once(CLIENTS, lambda i: call(base, "POST", "/redemptions",
                                                   {**basket, "idempotency_key": f"race-{winner}"},
                                                   signed["token"]))
    assert all(answer == results[winner] for answer in replays)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == sales + 1
    assert db.session.get(Household, household).balance == before - 5
