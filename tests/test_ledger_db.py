"""The database itself keeps the ledger append-only, and `flask ledger verify` reports drift."""
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.ledger import reads, services
from app.models import LedgerEntry
from tests.ledger_world import make_world


@pytest.fixture
def w(app):
    return make_world()


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET points = 1000 WHERE id = :id",
    "UPDATE ledger_entries SET note = 'edited' WHERE id = :id",
    "DELETE FROM ledger_entries WHERE id = :id",
])
def test_database_refuses_update_and_delete(w, statement):
    (entry,) = services.award(w.committee, [w.h1.id], w.good.id, "原始")
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(sa.text(statement), {"id": entry.id})
        db.session.commit()
    db.session.rollback()
    stored = db.session.get(LedgerEntry, entry.id)
    assert (stored.points, stored.note) == (10, "原始")


def test_orm_cannot_edit_an_entry_either(w):
    (entry,) = services.award(w.committee, [w.h1.id], w.good.id, "原始")
    entry.points = 99
    with pytest.raises(DBAPIError):
        db.session.commit()
    db.session.rollback()


def test_verify_cli_clean_then_names_corrupted_household(w, runner):
    services.award(w.committee, [w.h1.id, w.h2.id], w.good.id)
    services.redeem(w.committee, w.h2.id, 4)
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output
    db.session.execute(sa.text("UPDATE households SET balance = balance + 5 WHERE id = :id"),
                       {"id": w.h2.id})
    db.session.execute(sa.text("UPDATE households SET score = 1 WHERE id = :id"), {"id": w.h3.id})
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert f"household {w.h2.id} " in result.output and "balance 11 expected 6" in result.output
    assert f"household {w.h3.id} " in result.output and "score 1 expected 0" in result.output
    assert f"household {w.h1.id} " not in result.output
    wrong = {h.id: (b, s) for h, b, s in reads.verify()}
    assert wrong == {w.h2.id: (6, 10), w.h3.id: (0, 0)}
