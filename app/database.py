"""Engine set-up (SQLite done right: WAL, busy timeout, foreign keys, BEGIN IMMEDIATE where the writing starts), transaction(), and Prepared statements for the hottest paths."""
import inspect
import sqlite3
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import Callable, Literal, Optional

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.Session's events)
from flask import has_request_context
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError


def configure_engines(engine: Engine) -> None:
    """Make an SQLite engine safe for concurrent writers; leave other databases alone."""
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


# Set while the outermost `transaction()` runs: SQLite's begin then takes the write lock.
_WRITING: ContextVar[bool] = ContextVar("lianxin_writing", default=False)
_READ = "lianxin.read_began_at"  # a connection's read transaction: the driver's total_changes then
_SQLITE_ENGINES: set = set()


def _begin(connection, sql: str) -> None:
    """Send BEGIN to the driver itself: a fixed statement with no result, for which SQLAlchemy's
    execution path cost ten times what SQLite needs, on every transaction. A driver error (the
    database stayed locked past the busy timeout) is SQLAlchemy's, as it would have been."""
    dialect = connection.dialect
    try:
        connection.connection.dbapi_connection.execute(sql)
    except dialect.loaded_dbapi.Error as error:
        raise sa.exc.DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error,
                                         dialect=dialect) from error


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
    found = session.info.get(_DRIVER)
    connection, driver = found if found is not None else _driver()
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
        from app.extensions import db

        return db.session.info.get(cls._DEPTH, 0) > 0

    def __enter__(self):
        from app.extensions import db

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
        from app.extensions import db

        depth = db.session.info[self._DEPTH] - 1
        db.session.info[self._DEPTH] = depth
        if depth > 0:
            return False  # the outermost block decides
        try:
            return self._end(exc_type, exc)
        finally:
            _WRITING.set(False)

    def _end(self, exc_type, exc) -> Literal[False]:
        from app.extensions import db

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
        from app.errors import Conflict

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

                from app.errors import Conflict

                if replay is not None:
                    bound = signature.bind(*args, **kwargs)
                    bound.apply_defaults()
                    stored = replay(**bound.arguments)
                    if stored:
                        return stored
                raise Conflict(_("This was already recorded.")) from None

        return wrapper


class Prepared:
    """A Core statement the busiest paths run all day (a sale at the counter), compiled once per
    database and set of parameters, then sent straight to the driver's cursor in the session's
    transaction.

    SQLAlchemy's execution path costs some 50 µs of Python a statement, ten times what the driver
    needs; a sale runs a dozen. What it would do around the driver is done here once: the SQL is
    compiled for the dialect, the types' bind and result processors and the columns' Python-side
    defaults (`default=`, `onupdate=`) are looked up when a variant is first used, and the
    driver's errors become SQLAlchemy's (an IntegrityError stays an IntegrityError, so a
    transaction's replay still works). Engine events do not see these statements.

    `run()` answers a `Rows` with `first()`, `one()`, `scalar()` and `scalar_one()`; a list of
    parameter dicts runs the statement once for each (no rows).
    """

    def __init__(self, statement: sa.Executable):
        self.statement = statement
        self._variants: dict = {}
        # A SELECT's columns, or the RETURNING columns of an INSERT, UPDATE or DELETE.
        self.columns = list(statement.selected_columns if isinstance(statement, sa.Select)
                            else statement.exported_columns)

    def _variant(self, dialect, keys: frozenset):
        variant = self._variants.get((dialect.name, keys))
        if variant is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=sorted(keys))
            # Values the statement carries itself (a literal compared with, a constant set).
            fixed = {name: bind.effective_value for name, bind in compiled.binds.items()
                     if not bind.required}
            processors = {}
            for name, bind in compiled.binds.items():
                processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors[name] = processor
            defaults = [(column.key, column.default) for column in compiled.insert_prefetch]
            defaults += [(column.key, column.onupdate) for column in compiled.update_prefetch]
            results = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                       for column in self.columns]
            variant = (compiled.string, compiled.positiontup if compiled.positional else None,
                       processors, defaults, results if any(results) else None, fixed)
            self._variants[(dialect.name, keys)] = variant
        return variant

    def _parameters(self, variant, params: dict):
        _sql, order, processors, defaults, _results, fixed = variant
        if fixed or defaults:
            given, params = params, {**fixed, **params}
            for key, default in defaults:  # as SQLAlchemy: only for columns the caller left out
                if key not in given:
                    params[key] = default.arg(None) if default.is_callable else default.arg
        if processors:
            params = {key: (processors[key](value) if key in processors else value)
                      for key, value in params.items()}
        return tuple(params[name] for name in order) if order is not None else params

    def run(self, params=None) -> "Rows":
        connection, driver = _driver()
        dialect = connection.dialect
        many = isinstance(params, list)
        if many and not params:
            return Rows([], ())
        first = (params[0] if many else params) or {}
        variant = self._variant(dialect, frozenset(first))
        sql, results = variant[0], variant[4]
        cursor = driver.cursor()
        try:
            if many:
                cursor.executemany(sql, [self._parameters(variant, p) for p in params])
                return Rows([], ())
            cursor.execute(sql, self._parameters(variant, first))
            rows = cursor.fetchall() if cursor.description is not None else []
        except dialect.loaded_dbapi.Error as error:
            invalidated = dialect.is_disconnect(error, driver, cursor)
            if invalidated:
                connection.invalidate(error)
            raise sa.exc.DBAPIError.instance(sql, params, error, dialect.loaded_dbapi.Error,
                                             connection_invalidated=invalidated,
                                             dialect=dialect) from error
        finally:
            cursor.close()
        if results is not None:
            rows = [tuple(process(value) if process else value
                          for process, value in zip(results, row)) for row in rows]
        return Rows(rows, [column.key for column in self.columns])


_DRIVER = "lianxin.driver"


def _driver():
    """The session's connection and its driver connection, in (or beginning) its transaction.

    Kept in the session's info until the transaction ends: asking the session every time cost
    more than some of the statements it then ran."""
    from app.extensions import db

    session = db.session()
    found = session.info.get(_DRIVER)
    if found is None:
        connection = session.connection()
        found = session.info[_DRIVER] = (connection, connection.connection.dbapi_connection)
    return found


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _forget_driver(session, _transaction) -> None:
    session.info.pop(_DRIVER, None)


def as_loaded(model: type, values: dict, **related):
    """The `model` instance with these column values (by attribute name) in the session, as if a
    query had loaded it: the session's own when it has one, else one made without SQL.

    `related` are many-to-one relationships read in the same row (an instance or None); the
    others load lazily as usual. For a Prepared row on a path every API call takes, where the
    ORM's loading of two objects cost more than the statement that read them.
    """
    from app.extensions import db

    session = db.session()
    mapper = sa.inspect(model)
    key = mapper.identity_key_from_primary_key([values[name] for name in _primary_key_names(mapper)])
    found = session.identity_map.get(key)
    if found is not None:
        return found
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(values)
    instance.__dict__.update(related)
    sa.orm.make_transient_to_detached(instance)  # loaded state, with no history to flush
    session.add(instance)
    return instance


@lru_cache(maxsize=64)
def _primary_key_names(mapper) -> tuple[str, ...]:
    sa.orm.configure_mappers()  # what a query would do first: instruments the relationships
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


class Rows:
    """What a Prepared statement answered: its rows, read by column name or position."""

    __slots__ = ("rows", "names")

    def __init__(self, rows: list, names):
        self.rows, self.names = rows, names

    def _row(self, values):
        return _named(tuple(self.names))(*values)

    def first(self):
        return self._row(self.rows[0]) if self.rows else None

    def one(self):
        if len(self.rows) != 1:
            raise sa.exc.NoResultFound("no row") if not self.rows else sa.exc.MultipleResultsFound("rows")
        return self._row(self.rows[0])

    def scalar(self):
        return self.rows[0][0] if self.rows else None

    def scalar_one(self):
        return self.one()[0]

    def __iter__(self):
        return (self._row(values) for values in self.rows)


@lru_cache(maxsize=256)
def _named(names: tuple):
    from collections import namedtuple

    return namedtuple("Row", names, rename=True)
