"""Races on the ledger: threads with their own sessions and connections, released together."""
import pytest
import sqlalchemy as sa

from app.errors import DomainError, InsufficientPoints
from app.extensions import db
from app.ledger import reads, services
from app.models import Household, LedgerEntry, User
from tests import races
from tests.ledger_world import make_world

THREADS = 20


def race(app, work):
    """Run work(i) in THREADS threads at once."""
    return races.race(app, work, THREADS)


@pytest.fixture
def ids(app):
    w = make_world()
    found = {"committee": w.committee.id, "h1": w.h1.id, "big": w.big.id, "daily": w.daily.id}
    services.award(w.committee, [w.h1.id], w.big.id)  # balance 100
    # End the main session's transaction: on SQLite it would hold the write lock.
    db.session.rollback()
    return found


def actor(ids):
    return db.session.get(User, ids["committee"])


def check_consistent(household_id):
    db.session.expire_all()
    household = db.session.get(Household, household_id)
    total = db.session.scalar(sa.select(sa.func.sum(LedgerEntry.points))
                              .where(LedgerEntry.household_id == household_id))
    assert household.balance == total
    assert reads.verify() == []
    return household


def test_concurrent_redemptions_never_overdraw(app, ids):
    results = race(app, lambda i: services.redeem(actor(ids), ids["h1"], 15).id)
    spent = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    assert len(spent) == 6 and len(refused) == 14, results
    household = check_consistent(ids["h1"])
    assert (household.balance, household.score) == (10, 100)


def test_concurrent_replays_of_one_key_add_once(app, ids):
    results = race(app, lambda i: [e.id for e in services.award(
        actor(ids), [ids["h1"]], ids["big"], "", idempotency_key="same-key")])
    assert all(isinstance(r, list) for r in results), results
    assert len({tuple(r) for r in results}) == 1
    count = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))
                              .where(LedgerEntry.idempotency_key.like("same-key:%")))
    assert count == 1
    assert check_consistent(ids["h1"]).balance == 200


def test_concurrent_redemption_replays_spend_once(app, ids):
    results = race(app, lambda i: services.redeem(actor(ids), ids["h1"], 60,
                                                  idempotency_key="pay-1").id)
    assert all(isinstance(r, int) for r in results) and len(set(results)) == 1, results
    assert check_consistent(ids["h1"]).balance == 40


def test_concurrent_awards_respect_daily_limit(app, ids):
    results = race(app, lambda i: services.award(actor(ids), [ids["h1"]], ids["daily"]))
    assert sum(isinstance(r, list) for r in results) == 1
    assert sum(isinstance(r, DomainError) for r in results) == THREADS - 1, results
    assert check_consistent(ids["h1"]).balance == 102


def test_concurrent_objections_to_one_entry_open_once(app):
    """Two phones objecting to the same entry at once: the database keeps one open objection."""
    from app.ledger import claims
    from app.models import Objection

    w = make_world()
    (entry,) = services.award(w.committee, [w.h1.id], w.bad.id, "乱扔垃圾")
    ids = {"user": w.h1_user.id, "entry": entry.id}
    db.session.rollback()

    def work(i):
        return claims.object_to(db.session.get(User, ids["user"]), ids["entry"], f"理由{i}").id

    results = race(app, work)
    made = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(made) == 1 and len(refused) == THREADS - 1, results
    assert db.session.scalar(sa.select(sa.func.count(Objection.id))
                             .where(Objection.status == "open")) == 1
