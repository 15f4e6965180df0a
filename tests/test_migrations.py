"""Every migration, step by step on SQLite: the ledger's append-only triggers survive each one
(SQLite's batch mode rebuilds tables and silently drops their triggers), and entry kinds are
guarded by the database."""
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from app import create_app
from app.config import BASE_DIR
from app.extensions import db
from tests import factories

TRIGGERS = {"ledger_entries_no_update", "ledger_entries_no_delete"}


def _revisions_in_order():
    script = ScriptDirectory(str(BASE_DIR / "migrations"))
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def test_append_only_triggers_survive_every_migration_on_sqlite(tmp_path):
    path = tmp_path / "steps.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "INSTANCE_PATH": str(tmp_path)})
    seen_ledger = False
    with app.app_context():
        for revision in _revisions_in_order():
            upgrade(revision=revision)
            with db.engine.connect() as connection:
                tables = set(sa.inspect(connection).get_table_names())
                triggers = {row[0] for row in connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            if "ledger_entries" in tables:
                seen_ledger = True
                assert TRIGGERS <= triggers, f"after {revision} the triggers are gone: {triggers}"
        db.engine.dispose()
    assert seen_ledger


def test_the_database_refuses_an_unknown_entry_kind(app):
    village = factories.village()
    household = factories.household(village)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.text(
            "INSERT INTO ledger_entries (household_id, village_id, points, kind, note, created_at) "
            "VALUES (:h, :v, 5, 'gift', '', CURRENT_TIMESTAMP)"), {"h": household.id, "v": village.id})
        db.session.flush()
    db.session.rollback()
