"""Fixtures: every database test runs on file SQLite and, with TEST_DATABASE_URL, on PostgreSQL.

The schema is built once per database by `db upgrade` (the real migrations); each test then
starts from empty tables: a fresh copy of the migrated SQLite file, or TRUNCATE on PostgreSQL.
"""
import os
import shutil

import pytest
import sqlalchemy as sa
from flask import g, request_started
from flask_migrate import upgrade

from app import create_app, demo
from app.extensions import db, limiter
from tests._catalogs import compile_catalogs



def _per_worker(url):
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (created on first
    use), since every test empties the tables it runs on; without xdist, the one given."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    given = sa.engine.make_url(url)
    name = f"{given.database}_{worker}"
    admin = sa.create_engine(given, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": name}):
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


PG_URL = _per_worker(os.environ.get("TEST_DATABASE_URL"))
REFERENCE_TABLES = {"entry_kinds"}
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_report_header(config):
    lines = ["databases: " + ", ".join(BACKENDS)]
    if not PG_URL:
        lines.append("PostgreSQL tests SKIPPED: TEST_DATABASE_URL is not set")
    return lines


def pytest_sessionstart(session):
    compile_catalogs()  # the .mo files are git-ignored; pages need them
    if os.environ.get("REQUIRE_POSTGRES") == "1" and not PG_URL:
        raise pytest.UsageError("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """The path or URL of a database per backend, migrated once by the real migrations."""
    made = {}

    def get(backend):
        if backend not in made:
            if backend == "sqlite":
                path = tmp_path_factory.mktemp("template") / "template.db"
                app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                                  "INSTANCE_PATH": str(path.parent)})
                with app.app_context():
                    upgrade()
                    db.engine.dispose()
                made[backend] = path
            else:
                app = create_app({"SQLALCHEMY_DATABASE_URI": PG_URL})
                with app.app_context():
                    _drop_everything()
                    upgrade()
                    db.engine.dispose()
                made[backend] = PG_URL
        return made[backend]

    return get


def _drop_everything():
    """Empty the PostgreSQL test database, so migrations start from nothing."""
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The database backend this test runs on."""
    return request.param


def _forget_previous_request(sender, **extra):
    # The test keeps one app context open, so `g` outlives each request, as it never does
    # in a real server: drop the signed-in user and locale cached by the previous request.
    # (On request_started, so it runs before every before_request hook of the app.)
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)


@pytest.fixture(scope="session")
def shared_apps(migrated, tmp_path_factory):
    """One application per backend for the whole session (per xdist worker), with its settings
    as built: building an app and compiling its templates anew for every test cost more than
    most tests. Each test gets the app back with these settings and an emptied database."""
    made = {}

    def get(backend):
        if backend not in made:
            home = tmp_path_factory.mktemp(f"app-{backend}")
            url = f"sqlite:///{home / 'test.db'}" if backend == "sqlite" else migrated(backend)
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(home),
                              "UPLOAD_FOLDER": str(home / "uploads")})
            request_started.connect(_forget_previous_request, app)
            # The limiter is one object for every app: another create_app() (a test of Redis
            # storage, say) rebinds its storage, so each test gets back the one built here.
            made[backend] = (app, home, dict(app.config), dict(vars(limiter)))
        return made[backend]

    return get


def _empty_database(backend, app, home, migrated):
    """Start the test from the migrated, empty schema: a fresh copy of the SQLite file (no
    connection may hold the old one), or TRUNCATE on PostgreSQL."""
    if backend == "sqlite":
        # A new file under the old name, never the old file overwritten: an engine a test made
        # for itself may still hold connections to the old one.
        for name in ("test.db-wal", "test.db-shm", "test.db-journal"):
            (home / name).unlink(missing_ok=True)
        shutil.copy(migrated(backend), home / "test.db.new")
        os.replace(home / "test.db.new", home / "test.db")
    else:
        # Reference rows the migrations insert (entry kinds) stay; everything else goes.
        names = [t.name for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        if _may_skip_triggers():
            _delete_rows(names)
        else:
            db.session.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
            db.session.commit()


_SKIP_TRIGGERS = []  # [True] once a superuser is seen, [False] otherwise: asked once per worker


def _may_skip_triggers() -> bool:
    """Whether the test role may set session_replication_role (a superuser may, as in CI)."""
    if not _SKIP_TRIGGERS:
        _SKIP_TRIGGERS.append(bool(db.session.scalar(
            sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))))
        db.session.commit()
    return _SKIP_TRIGGERS[0]


def _delete_rows(names):
    """Empty `names` as TRUNCATE ... RESTART IDENTITY would, in a few milliseconds instead of a
    second: TRUNCATE gives each of the 43 tables and their indexes new files, DELETE of a test's
    few rows touches only them. With session_replication_role=replica no trigger fires, neither
    the ledger's append-only guard nor the foreign keys' checks, so the order does not matter."""
    deletes = "; ".join(f"DELETE FROM {name}" for name in names)
    db.session.connection().exec_driver_sql(f"SET LOCAL session_replication_role = replica; {deletes}")
    # Sequences owned by these tables start again at 1 (RESTART IDENTITY).
    db.session.execute(sa.text(
        "SELECT setval(s.oid, 1, false) FROM pg_class s "
        "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "WHERE s.relkind = 'S' AND t.relname = ANY(:names) AND s.relnamespace = t.relnamespace "
        "AND CASE WHEN s.relkind = 'S' THEN pg_sequence_last_value(s.oid) IS NOT NULL END"),
        {"names": names})
    db.session.commit()


# --- the demo city, loaded once per database and copied back for every test that loads it ----------
# demo.load() builds the demo in some 6 s (SQLite) or 11 s (PostgreSQL), and a hundred tests
# per backend start from it (the role matrices, the hostile sweeps): most of the suite's time.
# The first load on each database is the real one; its rows are kept (the SQLite file, or each
# table's rows by COPY and the sequences on PostgreSQL) and a later demo.load() on the emptied
# database, with the same arguments, copies them back in a few hundred milliseconds and returns
# the same counts. Any other call (other arguments, a database not empty) runs the real load.
_real_demo_load = demo.load
_DEMO_COPIES: dict = {}  # (database URL, arguments) -> (SQLite file or PostgreSQL rows, counts)


def _demo_load(*args, **kwargs):
    key = (db.engine.url.render_as_string(hide_password=False), args, tuple(sorted(kwargs.items())))
    copy = _DEMO_COPIES.get(key)
    empty = db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("regions"))) == 0
    if not empty:
        return _real_demo_load(*args, **kwargs)
    if copy is not None:
        _restore_demo(copy[0])
        return _copy_counts(copy[1])
    counts = _real_demo_load(*args, **kwargs)
    _DEMO_COPIES[key] = (_keep_demo(), _copy_counts(counts))
    return counts


def _copy_counts(counts: dict) -> dict:
    return {k: list(v) if isinstance(v, list) else v for k, v in counts.items()}


def _keep_demo():
    """The committed demo: a copy of the SQLite file, or each table's rows and the sequences."""
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        import sqlite3
        import tempfile

        kept = os.path.join(tempfile.mkdtemp(prefix="lianxin-demo-"), "demo.db")
        source, target = sqlite3.connect(db.engine.url.database), sqlite3.connect(kept)
        with target:
            source.backup(target)
        source.close()
        target.close()
        return kept
    driver = db.session.connection().connection.dbapi_connection
    rows = {}
    with driver.cursor() as cursor:
        for table in db.metadata.sorted_tables:
            if table.name in REFERENCE_TABLES:
                continue
            with cursor.copy(f"COPY {table.name} TO STDOUT (FORMAT BINARY)") as copy:
                rows[table.name] = b"".join(bytes(block) for block in copy)
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences "
                       "WHERE schemaname = 'public' AND last_value IS NOT NULL")
        sequences = cursor.fetchall()
    db.session.commit()
    return rows, sequences


def _restore_demo(kept) -> None:
    """Copy the kept demo back into the (empty) test database, in one transaction."""
    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        db.engine.dispose()
        path = db.engine.url.database
        for suffix in ("-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        shutil.copy(kept, path + ".new")
        os.replace(path + ".new", path)
        return
    rows, sequences = kept
    connection = db.session.connection()
    driver = connection.connection.dbapi_connection
    connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    with driver.cursor() as cursor:
        for name, data in rows.items():
            with cursor.copy(f"COPY {name} FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(data)
        for name, value in sequences:
            cursor.execute("SELECT setval(%s, %s)", (name, value))
    db.session.commit()


demo.load = _demo_load


@pytest.fixture
def app(backend, migrated, shared_apps, tmp_path):
    """The session's application for this backend, bound to an empty, migrated database, with
    its settings as built (a test's changes to app.config end with the test) and an instance
    and upload folder of the test's own."""
    app, home, settings, limiter_state = shared_apps(backend)
    vars(limiter).update(limiter_state)
    app.config.clear()
    app.config.update(settings, INSTANCE_PATH=str(tmp_path), UPLOAD_FOLDER=str(tmp_path / "uploads"))
    with app.app_context():
        db.engine.dispose()
        _empty_database(backend, app, home, migrated)
        limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client of `app`."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of `app`."""
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, username, password="secret-pass"):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    """Sign in through the client."""
    return AuthActions(client)
