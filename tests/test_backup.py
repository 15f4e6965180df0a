"""Backups on both databases: create, then restore into an empty database with identical counts
and sums and a clean ledger verify; refusals (a non-empty target, a changed byte, the other kind
of database); retention with fake times; and a backup taken while 20 clients buy."""
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.backup import archive, databases, jobs, services
from app.extensions import db
from app.jobs import registered, run_job
from app.ledger import reads, services as ledger
from app.models import Household, LedgerEntry, User
from app.shop import checkout, codes
from app.shop.catalogue import services as catalogue
from tests import factories
from tests.shop_world import make_shop_world

PHOTO = "photos/" + "A" * 22 + ".jpg"
SALES = 5  # per client, in the backup-under-load test


def figures():
    """Counts and sums read straight from the database, not through the backup code."""
    return {
        "households": db.session.scalar(sa.select(sa.func.count(Household.id))),
        "ledger_entries": db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))),
        "balance_sum": db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Household.balance), 0))),
        "score_sum": db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Household.score), 0))),
    }


def world(app):
    """A village with a shop, sales, and one uploaded photo."""
    w = make_shop_world()
    for n in range(3):
        secret = codes.issue(w.h1_user)["secret"]
        checkout.checkout(w.keeper, [(w.soap.id, 1)], f"sale-{n}", code=secret)
    photo = Path(app.config["UPLOAD_FOLDER"]) / PHOTO
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8 a cleaned photo \xff\xd9")
    db.session.commit()
    return w


@pytest.fixture
def target(app, backend, tmp_path):
    """A second site on an empty database of the same kind (no file; or a new PostgreSQL one)."""
    folder = tmp_path / "restored"
    folder.mkdir()
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'lianxin.db'}"
    else:
        given = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        name = f"{given.database}_restore"
        url = given.set(database=name).render_as_string(hide_password=False)
        admin = sa.create_engine(given, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                     {"n": name}):
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        emptied = sa.create_engine(url)
        with emptied.begin() as connection:  # emptier than `db upgrade` leaves it: no tables
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        emptied.dispose()
    made = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder),
                       "UPLOAD_FOLDER": str(folder / "uploads")})
    yield made
    with made.app_context():
        db.engine.dispose()


def restore(site, path, *options):
    """`flask backup restore` on `site` (the CLI uses the app context it finds, so push site's);
    the test's own session first lets go of its locks, as no session is open around the CLI."""
    db.session.rollback()
    with site.app_context():
        return site.test_cli_runner().invoke(args=["backup", "restore", str(path), *options])


def test_restore_into_an_empty_database_gives_the_same_counts_sums_photos_and_a_clean_verify(
        app, target, tmp_path):
    world(app)
    before = figures()
    made = app.test_cli_runner().invoke(args=["backup", "create", "--to", str(tmp_path / "out")])
    assert made.exit_code == 0, made.output
    (path,) = (tmp_path / "out").glob("lianxin-*.lxbak")
    assert archive.NAME.match(path.name) and path.stat().st_mode & 0o777 == 0o600
    manifest = archive.read_manifest(path)
    assert manifest["figures"] == before and manifest["database"] == db.engine.dialect.name
    assert manifest["schema_revision"] and f"uploads/{PHOTO}" in manifest["members"]

    result = restore(target, path)
    assert result.exit_code == 0, result.output
    assert "账本核对" in result.output  # said in the configured language (simplified Chinese)
    with target.app_context():
        assert figures() == before
        assert reads.verify() == []
        assert db.session.scalar(sa.select(User.username).where(User.username == "keeper"))
    restored = Path(target.config["UPLOAD_FOLDER"]) / PHOTO
    assert restored.read_bytes() == (Path(app.config["UPLOAD_FOLDER"]) / PHOTO).read_bytes()


def test_a_database_that_is_not_empty_is_refused_without_force(app, tmp_path):
    world(app)
    path, manifest = services.create(tmp_path)
    factories.household(factories.village("后来村"), head_name="后来")  # changed since the backup
    db.session.commit()
    result = restore(app, path)
    assert result.exit_code == 1 and "--force" in result.output
    db.session.rollback()
    assert figures()["households"] == manifest["figures"]["households"] + 1  # untouched

    result = restore(app, path, "--force")
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert figures() == manifest["figures"] and reads.verify() == []


def test_a_file_with_one_byte_changed_is_refused_and_nothing_is_restored(app, target, tmp_path):
    world(app)
    path, _manifest = services.create(tmp_path)
    data = path.read_bytes()
    for position in (100, 520, 700, len(data) // 2, len(data) - 600, len(data) - 1):
        changed = tmp_path / f"changed-{position}.lxbak"
        changed.write_bytes(data[:position] + bytes([data[position] ^ 1]) + data[position + 1:])
        result = restore(target, changed)
        assert result.exit_code == 1, (position, result.output)
        assert "损坏" in result.output, result.output  # said in simplified Chinese
    with target.app_context():
        assert not sa.inspect(db.engine).get_table_names()  # nothing was restored


def test_a_backup_of_the_other_kind_of_database_is_refused(app, target, tmp_path):
    here = db.engine.dialect.name
    other = "postgresql" if here == "sqlite" else "sqlite"
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "database.x").write_bytes(b"dump")
    members = {"database.x": {"size": 4, "sha256": archive.file_digest(staged / "database.x")}}
    manifest = {"format": archive.FORMAT, "created_at": "2026-12-01T00:00:00+00:00",
                "database": other, "schema_revision": "x", "figures": {}, "members": members}
    path = archive.write(tmp_path, datetime.now(UTC), manifest, {"database.x": staged / "database.x"})
    result = restore(target, path)
    assert result.exit_code == 1 and other in result.output and here in result.output


def _names(times):
    return [f"lianxin-{archive.stamp(t)}.lxbak" for t in times]


def test_retention_keeps_the_newest_of_each_day_and_the_first_of_each_month():
    start = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)
    nightly = [start + timedelta(days=d) for d in range(500)]
    extra = [nightly[-1] + timedelta(hours=9), nightly[-3] + timedelta(hours=5)]  # made by hand
    kept = jobs.to_keep(_names(nightly + extra) + ["notes.txt"], 7, 12)
    days = _names([extra[0], nightly[-2], extra[1]] + nightly[-7:-3])
    months = [t for t in nightly if t.day == 1][-12:]
    assert kept == set(days) | set(_names(months))
    assert len(kept) == 7 + 12 and "notes.txt" not in kept


def test_the_daily_job_backs_up_once_a_day_and_deletes_what_retention_drops(app, tmp_path):
    world(app)
    app.config.update(BACKUP_DIR=str(tmp_path / "kept"), BACKUP_KEEP_DAILY=3, BACKUP_KEEP_MONTHLY=2)
    folder = archive.directory()
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    old = [now - timedelta(days=d) for d in range(1, 70)]
    for name in _names(old):
        (folder / name).write_bytes(b"old")
    (folder / "keep-me.txt").write_text("not a backup")

    status, summary = run_job(registered()["backup"], now)
    assert status == "ran", summary
    assert run_job(registered()["backup"], now + timedelta(hours=1))[0] == "skipped"
    left = sorted(p.name for p in folder.iterdir())
    expected = _names([now, now - timedelta(days=1), now - timedelta(days=2),  # three days
                       datetime(2026, 12, 1, 3, 0, tzinfo=UTC),  # and two months' firsts
                       datetime(2026, 11, 1, 3, 0, tzinfo=UTC)])
    assert left == sorted(expected + ["keep-me.txt"])
    assert archive.read_manifest(folder / _names([now])[0])["figures"] == figures()


def test_a_backup_taken_while_twenty_clients_buy_restores_clean_and_equal_to_its_manifest(
        app, target, tmp_path):
    w = world(app)
    buyers = []
    for i in range(20):
        household = factories.household(w.home, head_name=f"买家{i}")
        ledger.award(w.committee, [household.id], w.rule.id)
        buyer = factories.user(f"buyer{i}", "household", household_id=household.id)
        buyers.append([codes.issue(buyer)["secret"] for _ in range(SALES)])
    catalogue.receive_goods(w.keeper, w.soap.id, 200, "village")
    db.session.commit()
    entries_before = figures()["ledger_entries"]
    keeper_id, soap_id = w.keeper.id, w.soap.id
    db.session.rollback()  # on SQLite the test's own read holds the write lock (BEGIN IMMEDIATE)
    sold, retried, errors, started = [], [], [], threading.Barrier(21)

    # The clients' own site on the same database, with a pooled connection for each client, so
    # that none of them waits for a connection rather than for the database.
    shop = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "INSTANCE_PATH": app.config["INSTANCE_PATH"],
                       "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 21, "max_overflow": 0,
                                                     "pool_timeout": 300}})

    def buy(i):
        with shop.app_context():
            try:
                started.wait(timeout=30)
                for n, secret in enumerate(buyers[i]):
                    for attempt in range(5):  # a locked SQLite: the client sends the same key again
                        try:
                            keeper = db.session.get(User, keeper_id)
                            checkout.checkout(keeper, [(soap_id, 1)], f"load-{i}-{n}", code=secret)
                            break
                        except sa.exc.OperationalError:
                            db.session.remove()
                            retried.append(1)
                    else:
                        raise RuntimeError(f"client {i} could not buy in five tries")
                    sold.append(1)
                    db.session.remove()
            except Exception as error:  # asserted on below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    started.wait(timeout=30)
    while len(sold) < 20 and not errors:  # the backup starts in the middle of the buying
        threading.Event().wait(0.01)
    sold_before = len(sold)
    path, manifest = services.create(tmp_path)  # the folder holding the uploads folder too
    sold_after = len(sold)
    for thread in threads:
        thread.join(timeout=300)
    with shop.app_context():
        db.engine.dispose()
    assert not errors, errors[:3]
    assert len(sold) == 20 * SALES and 20 <= sold_before < 20 * SALES, (sold_before, sold_after)
    print(f"backup began after {sold_before} sales, ended after {sold_after}; {len(retried)} retries")
    db.session.rollback()
    assert reads.verify() == []
    # The manifest is one snapshot taken in the middle of the buying.
    assert entries_before < manifest["figures"]["ledger_entries"] <= figures()["ledger_entries"]

    result = restore(target, path)
    assert result.exit_code == 0, result.output
    with target.app_context():
        assert figures() == manifest["figures"]
        assert reads.verify() == []
    assert (Path(target.config["UPLOAD_FOLDER"]) / PHOTO).exists()
    assert json.dumps(manifest["figures"])  # plain numbers, readable by other tools


def test_a_missing_pg_dump_of_the_servers_version_is_named(app):
    from app.backup import BackupError, databases

    with pytest.raises(BackupError) as refused:
        databases.tool("pg_dump", 99)  # no PostgreSQL 99 client anywhere: 15's is too old
    assert "/usr/lib/postgresql/99/bin/pg_dump" in refused.value.message
    assert "LIANXIN_PG_BIN_DIR" in refused.value.message


def test_backups_written_inside_the_upload_folder_are_not_backed_up_again(app):
    world(app)
    inside = Path(app.config["UPLOAD_FOLDER"]) / "backups"
    first, _manifest = services.create(inside)
    second, manifest = services.create(inside)
    assert first != second and set(manifest["members"]) == {
        databases.MEMBER[db.engine.dialect.name], f"uploads/{PHOTO}"}


def test_a_backup_of_an_older_schema_is_restored_and_brought_up_to_date(app, backend, target,
                                                                       tmp_path):
    if backend != "sqlite":
        pytest.skip("an older schema is built on a file of its own; the restore path is shared")
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    from app.config import BASE_DIR

    old = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}",
                      "INSTANCE_PATH": str(tmp_path), "UPLOAD_FOLDER": str(tmp_path / "none")})
    with old.app_context():
        upgrade(revision="a9f3c6d2e817")  # the revision before this version's head
        path, manifest = services.create(tmp_path / "old")
        db.engine.dispose()
    assert manifest["schema_revision"] == "a9f3c6d2e817"
    result = restore(target, path)
    assert result.exit_code == 0, result.output
    head = ScriptDirectory(str(BASE_DIR / "migrations")).get_current_head()
    assert "a9f3c6d2e817" in result.output and head in result.output
    with target.app_context():
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
        assert figures() == manifest["figures"]
