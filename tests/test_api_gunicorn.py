"""Races through the API under gunicorn with 4 workers, on each test database: replays give the first result."""
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
    with gunicorn(url, tmp_path) as base:
        status, body = call(base, "POST", "/tokens", {"username": "committee", "password": demo.DEMO_PASSWORD})
        assert status == 201
        award = {"household_ids": [household], "rule_id": rule, "note": "race", "idempotency_key": "race-1"}
        results = _at_once(CLIENTS, lambda i: call(base, "POST", "/awards", award, body["token"]))
    assert [status for status, _ in results] == [201] * CLIENTS
    assert len({answer["entries"][0]["id"] for _, answer in results}) == 1
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.note == "race")) == 1
