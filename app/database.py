"""Engine set-up (SQLite done right: WAL, busy timeout, foreign keys, BEGIN IMMEDIATE where the writing starts), and transaction(). The sale's and the token read's statements go through app/fast.py."""
import inspect
import select
import sqlite3
from contextvars import ContextVar
from functools import wraps
from typing import Callable, Literal, Optional

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, DomainError
from app.extensions import db


def configure_engines(engine: Engine) -> None:
    """Make an SQLite engine safe for concurrent writers; test a PostgreSQL connection's
    socket before each use (`_check_idle_socket`)."""
    if engine.dialect.name == "postgresql":
        sa.event.listen(engine, "connect", _mark_fresh)
        sa.event.listen(engine, "checkout", _check_idle_socket)
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        # Take transaction control away from pysqlite so we can emit BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A deferred transaction that reads and then writes fails at once under WAL with
        # SQLITE_BUSY, so a `transaction()` begins with the write lock (BEGIN IMMEDIATE) and
        # concurrent writers wait for it instead. A request's reads begin a plain BEGIN and take
        # no lock: the write lock is held from the unit of work's start to its commit, not from
        # the sign-in's user load through a photo's resizing. Outside requests (the CLI, jobs)
        # every transaction still takes the lock first, for code that writes without one.
        driver = connection.connection.dbapi_connection
        if _WRITING.get() or not has_request_context():
            _begin(connection, "BEGIN IMMEDIATE")
            connection.info[_READ] = None
        else:
            _begin(connection, "BEGIN")
            connection.info[_READ] = driver.total_changes  # to tell a read from a stray write

    _SQLITE_ENGINES.add(engine)


_FRESH = "lianxin.fresh"  # a connection record's DBAPI connection was opened for this checkout


def _mark_fresh(_dbapi_connection, connection_record) -> None:
    connection_record.info[_FRESH] = True


def _check_idle_socket(dbapi_connection, connection_record, connection_proxy) -> None:
    """A pooled PostgreSQL connection is tested before use without a round trip: an idle
    connection has nothing to read, so a socket with something to read was ended by the server
    (a restart or pg_terminate_backend sends a message and closes it) and is replaced. SQLAlchemy's
    `pool_pre_ping` sent a statement on every checkout instead, one round trip of the nine on
    `/me` and of the fifteen of a sale. Raising DisconnectionError makes the pool discard the
    connection and check out another (a new one if need be), as its own pre-ping does; a message
    the server sends an idle client otherwise (a changed setting's ParameterStatus) costs only a
    new connection. A dead link that sends nothing (a cut cable) is found by neither this nor a
    ping: the first statement fails and the request is a clean 503 (app/errors).
    A connection opened for this checkout is not tested, as the pre-ping did not test one: the
    pool tries three connections and then raises InvalidRequestError, a 500, so a server that
    ends each new connection at once (a restart in progress, a terminator) must fail at the first
    statement instead, as a 503."""
    if connection_record.info.pop(_FRESH, False):
        return
    if dbapi_connection.closed:
        raise sa.exc.DisconnectionError("the connection is closed")
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise sa.exc.DisconnectionError("the server ended the idle connection")


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (its locks and upserts differ from SQLite's)."""
    return db.session.get_bind().dialect.name == "postgresql"


def add_to(table: sa.Table, keys: list[str], rows: list[dict]) -> None:
    """Add each row's other columns to the row with the same `keys`, made at zero if missing: one
    relative upsert (`n = n + :n`), never a read-modify-write, so concurrent writers lose nothing.
    The summaries the writers keep in their transactions (figures, rankings) go through here;
    give `rows` in key order, so writers lock rows in one order (no deadlock)."""
    if not rows:
        return
    insert = (postgresql.insert if on_postgresql() else sqlite.insert)(table)
    added = [column for column in rows[0] if column not in keys]
    db.session.execute(insert.on_conflict_do_update(
        index_elements=keys, set_={c: table.c[c] + insert.excluded[c] for c in added}), rows)


# Set while the outermost `transaction()` runs: SQLite's begin then takes the write lock.
_WRITING: ContextVar[bool] = ContextVar("lianxin_writing", default=False)
_READ = "lianxin.read_began_at"  # a connection's read transaction: the driver's total_changes then
_SQLITE_ENGINES: set = set()


def _begin(connection, sql: str) -> None:
    """Send BEGIN as SQLAlchemy's documented pysqlite recipe does (exec_driver_sql): sending it
    to the driver itself saved some 13 µs a transaction, under 1 % of a sale in bench/api.py.
    A driver error (the database stayed locked past the busy timeout) is SQLAlchemy's."""
    connection.exec_driver_sql(sql)


def _take_write_lock(session) -> None:
    """On SQLite, the write lock for a `transaction()` about to begin in `session`.

    A transaction not begun yet takes it in its BEGIN (the engine's begin event). One the
    request's reads began (a plain BEGIN) ends first and begins again with BEGIN IMMEDIATE, on
    the driver alone: SQLAlchemy's transaction goes on, so nothing loaded is expired (the
    signed-in user is not loaded again) and no statement is added. What was read before stays
    as read, as it does on PostgreSQL, where each statement sees what others committed since;
    the services' writes are built for that (conditional UPDATEs, unique keys). A read
    transaction that has written already (a stray flush) holds the lock and goes on as it is.
    """
    if not _SQLITE_ENGINES or not session.in_transaction():
        return
    connection = session.connection()
    driver = connection.connection.dbapi_connection
    began_at = connection.info.get(_READ)
    if began_at is None or connection.dialect.name != "sqlite":
        return
    connection.info[_READ] = None
    if driver.total_changes == began_at and driver.in_transaction:
        driver.execute("COMMIT")  # a read: ending it loses nothing
        _begin(connection, "BEGIN IMMEDIATE")


class DiskFull(DomainError):
    """The database's disk (or PostgreSQL's) is full: the unit of work was rolled back whole."""

    status = 503

    def __init__(self):
        from flask_babel import gettext as _

        super().__init__(_("The server's disk is full, so nothing was saved. Please tell the "
                           "administrator, and try again once space has been freed."), code="disk_full")


def _disk_full(error) -> bool:
    """True for SQLite's SQLITE_FULL and PostgreSQL's disk_full (SQLSTATE 53100)."""
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    orig = error.orig
    return (getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or getattr(orig, "sqlstate", None) == "53100")


class transaction:
    """One unit of work: commit when the block (or decorated function) ends, roll back on any error.

    Every service that writes uses this, as `with transaction():` or `@transaction()`. Inside an
    outer transaction it only joins it, so services compose: a shop checkout can claim a code,
    move stock and debit points (each a service of its own) and commit once. As a decorator it
    takes `replay`: when the outermost transaction fails on a unique key (a concurrent request
    with the same idempotency key won the race), `replay(**arguments)` may return the stored
    result; otherwise the caller gets a Conflict.
    """

    _DEPTH = "lianxin.transaction_depth"

    def __init__(self, replay: Optional[Callable] = None, conflict: Optional[str] = None):
        self.replay = replay
        self.conflict = conflict  # the message of the Conflict a unique-key failure becomes

    @classmethod
    def active(cls) -> bool:
        """True inside a `transaction()` block."""
        return db.session.info.get(cls._DEPTH, 0) > 0

    def __enter__(self):
        session = db.session()
        depth = session.info.get(self._DEPTH, 0)
        if depth == 0:
            token = _WRITING.set(True)
            try:
                _take_write_lock(session)
            except BaseException:
                _WRITING.reset(token)
                raise
        session.info[self._DEPTH] = depth + 1
        return db.session

    def __exit__(self, exc_type, exc, traceback) -> Literal[False]:  # never swallows an error
        depth = db.session.info[self._DEPTH] - 1
        db.session.info[self._DEPTH] = depth
        if depth > 0:
            return False  # the outermost block decides
        try:
            return self._end(exc_type, exc)
        finally:
            _WRITING.set(False)

    def _end(self, exc_type, exc) -> Literal[False]:
        if exc_type is not None:
            db.session.rollback()
            if self.conflict and issubclass(exc_type, IntegrityError):
                raise self._conflict() from None
            if _disk_full(exc):
                raise DiskFull() from exc
            return False
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if self.conflict:
                raise self._conflict() from None
            raise
        except BaseException as error:
            db.session.rollback()
            if _disk_full(error):
                raise DiskFull() from error
            raise
        return False

    def _conflict(self):
        return Conflict(self.conflict)

    def __call__(self, function: Callable) -> Callable:
        signature = inspect.signature(function)
        replay, conflict = self.replay, self.conflict

        @wraps(function)
        def wrapper(*args, **kwargs):
            outermost = not transaction.active()
            try:
                with transaction(conflict=conflict):
                    return function(*args, **kwargs)
            except IntegrityError:
                if not outermost:
                    raise
                from flask_babel import gettext as _

                if replay is not None:
                    bound = signature.bind(*args, **kwargs)
                    bound.apply_defaults()
                    stored = replay(**bound.arguments)
                    if stored:
                        return stored
                raise Conflict(_("This was already recorded.")) from None

        return wrapper
