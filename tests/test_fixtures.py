"""The `app` fixture gives every test an empty database whose ids start at 1, on both backends
(on PostgreSQL by DELETE with triggers off, tests/conftest.py): run twice, the second run finds
nothing of the first, not even the append-only ledger's entries."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.ledger import services
from app.models import Household, LedgerEntry, Region, User
from tests.ledger_world import make_world


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_starts_empty_with_ids_from_one(app, run):
    for model in (Region, Household, User, LedgerEntry):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0, model
    w = make_world()
    services.award(w.committee, [w.h1.id], w.good.id)
    assert db.session.scalar(sa.select(sa.func.min(Region.id))) == 1
    assert db.session.scalar(sa.select(sa.func.min(LedgerEntry.id))) == 1
