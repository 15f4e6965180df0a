"""Dumping and restoring the database: SQLite by its online backup API, PostgreSQL by pg_dump
and pg_restore of the server's major version. The figures of the manifest (counts and sums) are
always read from the same snapshot as the dump."""
import gzip
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.backup import BackupError
from app.extensions import db

# The manifest's figures, each one statement that SQLite and PostgreSQL both understand.
FIGURES = {
    "households": "SELECT COUNT(*) FROM households",
    "ledger_entries": "SELECT COUNT(*) FROM ledger_entries",
    "balance_sum": "SELECT COALESCE(SUM(balance), 0) FROM households",
    "score_sum": "SELECT COALESCE(SUM(score), 0) FROM households",
}
# Tables whose rows the migrations themselves insert: a database holding only these is empty.
REFERENCE_TABLES = {"alembic_version", "entry_kinds"}
MEMBER = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}


def kind() -> str:
    """The configured database: sqlite or postgresql."""
    return db.engine.dialect.name


def figures(scalar: Callable[[str], object]) -> dict:
    """Counts, sums and the schema revision, read through `scalar(sql)`."""
    found = {name: int(scalar(sql)) for name, sql in FIGURES.items()}
    found["schema_revision"] = str(scalar("SELECT version_num FROM alembic_version"))
    return found


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError(_("An in-memory SQLite database cannot be backed up or restored."))
    return Path(database)


def dump(staging: Path) -> tuple[str, dict]:
    """Write the database into `staging`; the member's name and the snapshot's figures."""
    if kind() == "sqlite":
        return MEMBER["sqlite"], _dump_sqlite(staging / MEMBER["sqlite"])
    return MEMBER["postgresql"], _dump_postgresql(staging / MEMBER["postgresql"])


def _dump_sqlite(target: Path) -> dict:
    """The online backup API copies a consistent snapshot while others keep writing (WAL)."""
    source = sqlite3.connect(_sqlite_path().resolve().as_uri() + "?mode=ro", uri=True, timeout=15)
    copy_path = target.with_suffix("")
    copy = sqlite3.connect(copy_path)
    try:
        source.backup(copy)
        found = figures(lambda sql: copy.execute(sql).fetchone()[0])  # counted from the copy
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()
    with open(copy_path, "rb") as raw, gzip.open(target, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, 1 << 20)
    copy_path.unlink()
    return found


def _libpq() -> tuple[str, dict]:
    """The database as a libpq URI without its password, and an environment carrying it."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def server_major(connection) -> int:
    """The PostgreSQL server's major version (15 for 15.18)."""
    return int(connection.exec_driver_sql("SHOW server_version_num").scalar()) // 10000


def tool(name: str, major: int) -> str:
    """pg_dump or pg_restore of the server's major version (or newer): LIANXIN_PG_BIN_DIR, then
    Debian's and the PGDG RPMs' folders, then PATH; an error naming what to install if none."""
    configured = current_app.config.get("PG_BIN_DIR") or ""
    candidates = ([Path(configured) / name] if configured else []) + [
        Path(f"/usr/lib/postgresql/{major}/bin/{name}"), Path(f"/usr/pgsql-{major}/bin/{name}")]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK) and _major_of(candidate) >= major:
            return str(candidate)
    raise BackupError(_("%(tool)s of PostgreSQL %(major)d was not found (looked for %(path)s). "
                        "Install the PostgreSQL %(major)d client, or set LIANXIN_PG_BIN_DIR.",
                        tool=name, major=major, path=candidates[0]))


def _major_of(program: Path) -> int:
    try:
        out = subprocess.run([str(program), "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    found = re.search(r"\)\s*(\d+)", out)
    return int(found.group(1)) if found else 0


def _run(command: list[str], env: dict, stdin: Optional[BinaryIO] = None) -> None:
    """Run a PostgreSQL tool; BackupError with what it printed when it fails."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE if stdin else None,
                                   stdout=subprocess.DEVNULL, stderr=errors)
        if stdin is not None:
            try:
                shutil.copyfileobj(stdin, process.stdin, 1 << 20)
            except BrokenPipeError:
                pass
            finally:
                process.stdin.close()
        if process.wait() != 0:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip()[-1500:]
            raise BackupError(_("%(tool)s failed: %(error)s", tool=Path(command[0]).name,
                                error=said))


def _dump_postgresql(target: Path) -> dict:
    """pg_dump -Fc of a snapshot exported by a REPEATABLE READ transaction, which also counts."""
    uri, env = _libpq()
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                               postgresql_readonly=True) as connection:
        with connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
            found = figures(lambda sql: connection.exec_driver_sql(sql).scalar())
            pg_dump = tool("pg_dump", server_major(connection))
            # The transaction stays open until pg_dump has read the snapshot it exported.
            _run([pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(target), "--dbname", uri], env)
    return found


def occupied_table() -> Optional[str]:
    """A table of the configured database that holds rows of its own, or None when it is empty."""
    if kind() == "sqlite":
        path = _sqlite_path()
        if not path.exists() or path.stat().st_size == 0:
            return None
    db.session.remove()
    with db.engine.connect() as connection:
        for table in sorted(set(sa.inspect(connection).get_table_names()) - REFERENCE_TABLES):
            quoted = connection.dialect.identifier_preparer.quote(table)
            if connection.exec_driver_sql(f"SELECT 1 FROM {quoted} LIMIT 1").first():
                return table
    return None


def restore(stream: BinaryIO) -> None:
    """Replace the configured database by the dump in `stream` (the caller checked it may)."""
    db.session.remove()
    db.engine.dispose()
    if kind() == "sqlite":
        _restore_sqlite(stream)
    else:
        _restore_postgresql(stream)
    db.engine.dispose()


def _restore_sqlite(stream: BinaryIO) -> None:
    """Unpack the copy beside the database, then copy it in by the backup API: SQLite's own
    locking makes the switch whole, and no stale -wal file can be replayed over it."""
    path = _sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, unpacked = tempfile.mkstemp(dir=path.parent, prefix=".restore-", suffix=".db")
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(stream) as packed:
            shutil.copyfileobj(packed, out, 1 << 20)
        source = sqlite3.connect(unpacked)
        target = sqlite3.connect(path, timeout=15)
        try:
            source.execute("PRAGMA integrity_check").fetchone()
            source.backup(target)
        except sqlite3.DatabaseError as error:
            raise BackupError(_("The database could not be restored: %(error)s", error=error)) from error
        finally:
            target.close()
            source.close()
        os.chmod(path, 0o600)
    finally:
        os.unlink(unpacked)


def _restore_postgresql(stream: BinaryIO) -> None:
    """Empty the public schema, then pg_restore in one transaction (all or nothing)."""
    uri, env = _libpq()
    try:
        with db.engine.begin() as connection:
            pg_restore = tool("pg_restore", server_major(connection))
            # Waiting behind a running site's sessions would hang; say so instead.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    except sa.exc.OperationalError as error:
        raise BackupError(_("The database is in use: stop the site before restoring (%(error)s).",
                            error=str(error.orig).strip()[:300])) from error
    _run([pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          "--dbname", uri], env, stdin=stream)
