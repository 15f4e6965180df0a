"""SQLite's disk full: an award gets a clear message in the user's language, nothing is
half-written, the database is not corrupt, and `flask ledger verify` is clean once space is freed.

The database lives on a small tmpfs of its own (mounting one needs root; skipped otherwise)."""
import errno
import io
import os
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from PIL import Image

from app import create_app
from app.extensions import db, limiter
from app.models import Household, LedgerEntry
from tests.ledger_world import make_world
from tests.test_ledger_views_committee import hidden_fields


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small filesystem needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a small filesystem is not permitted here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


@pytest.fixture
def app_on_small_disk(migrated, small_disk, tmp_path):
    target = small_disk / "lianxin.db"
    shutil.copy(migrated("sqlite"), target)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}", "INSTANCE_PATH": str(tmp_path),
                      "UPLOAD_FOLDER": str(small_disk / "uploads"), "WTF_CSRF_ENABLED": False})
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 80).convert("RGB").save(buffer, "PNG")  # noise: a JPEG of some size
    return buffer.getvalue()


def _pragma(pragma: str):
    """A PRAGMA on a pooled connection outside any transaction; its first row."""
    raw = db.engine.raw_connection()
    try:
        return tuple(raw.driver_connection.execute(f"PRAGMA {pragma}").fetchone())
    finally:
        raw.close()


def _fill(folder) -> list:
    """Fill the filesystem to the last byte; the files, to free the space again."""
    made, n, chunk = [], 0, b"\0" * 65536
    while True:
        path = folder / f"filler-{n}"
        made.append(path)
        n += 1
        try:
            with open(path, "wb") as out:
                while True:
                    out.write(chunk)
                    out.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
            if chunk == b"\0":
                return made
            chunk = chunk[:len(chunk) // 16] or b"\0"


def test_an_award_on_a_full_disk_is_refused_clearly_and_leaves_the_ledger_whole(app_on_small_disk,
                                                                               small_disk):
    app = app_on_small_disk
    world = make_world()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    assert client.post("/login", data={"username": "committee", "password": "secret-pass"}).status_code == 302
    entries = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))
    page = client.post("/ledger/award/preview", data={
        "rule_id": world.good.id, "target": "household", "household_number": world.h1.number,
        "note": "扶老人过马路"}).get_data(as_text=True)
    fields = hidden_fields(page)
    bad, h1, h2_number = world.bad.id, world.h1.id, world.h2.number
    db.session.remove()
    _pragma("wal_checkpoint(TRUNCATE)")  # the write-ahead log starts empty: a write must grow it
    fillers = _fill(small_disk)

    response = client.post("/ledger/award/confirm", data=fields, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Traceback" not in page
    assert "磁盘已满" in page  # the award page again, saying why in the user's language
    assert client.get("/ledger/award").status_code == 200  # pages that only read go on
    # A deduction's evidence photo cannot be stored either: said so, and no piece of it is kept.
    page = client.post("/ledger/deduct/confirm", data={**hidden_fields(client.post("/ledger/deduct", data={
        "rule_id": bad, "numbers": h2_number, "note": "乱扔垃圾"}).get_data(as_text=True)),
        "photo": (io.BytesIO(_png()), "evidence.png")}, content_type="multipart/form-data",
        follow_redirects=True).get_data(as_text=True)
    assert "磁盘已满" in page
    assert not any((small_disk / "uploads" / "photos").glob("*.jpg"))

    for path in fillers:
        path.unlink()
    assert _pragma("integrity_check") == ("ok",)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == entries  # nothing half-written
    assert db.session.get(Household, h1).balance == 0
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "ok" in result.output
    # With space again, the same confirmation goes through, once.
    again = client.post("/ledger/award/confirm", data=fields)
    assert again.status_code == 302 and "/ledger/entries" in again.location
    db.session.expire_all()
    assert db.session.get(Household, h1).balance == 10
