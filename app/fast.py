"""The speed layer, fenced: the sale at the counter and the API's token read, and nothing else,
run their statements here, straight on the driver, instead of through SQLAlchemy's execution path;
and API calls without limits of their own pass over Flask-Limiter's hook (SkipUnlimitedApiCalls).

SQLAlchemy's execution path costs some 60 µs of Python a statement, eight times what the driver
needs (a sale runs a dozen), and the ORM's loading of an account and its shop cost more than the
statement that read them; Flask-Limiter's hook costs about a tenth of a token read. Together that
was about a quarter of a sale's throughput in bench/api.py. Everything else uses plain SQLAlchemy
(Prepared.run_plain for a statement shared with the sale).

What this relies on below the libraries' public API, all checked by tests/test_fast_layer.py on
SQLite and PostgreSQL: a compiled statement's `binds` (`required`, `effective_value`, `type`),
`positional`/`positiontup` and `insert_prefetch`/`update_prefetch`; a type's `dialect_impl`,
`bind_processor` and `result_processor`; a column default's `arg`/`is_callable`; a dialect's
`loaded_dbapi` and `is_disconnect`; `DBAPIError.instance`; a mapper's `class_manager.new_instance`
and `identity_key_from_primary_key`, an instance's loaded state kept in its `__dict__`; and
Flask-Limiter's `_check_request_limit`. (app/ratelimits.py's local:// storage and the Limiter's
Redis fallback in app/extensions.py reach into `limits` and Flask-Limiter too; the same tests
cover them.) requirements.txt pins the versions they were written for: before upgrading one,
run tests/test_fast_layer.py and tests/test_prepared.py on both databases, then bench/api.py.
"""
from functools import lru_cache

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.Session's events)
from flask import current_app, request


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

    def run_plain(self, params=None) -> sa.CursorResult:
        """The same statement through SQLAlchemy on the session's connection: for the paths that
        share a statement with the sale but are not the sale (a void's stock, redeem())."""
        return _session().connection().execute(self.statement, params)

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


def _session() -> sa.orm.Session:
    """The request's session, asked of Flask-SQLAlchemy through the app (app.extensions imports
    this module for its Limiter, so this module does not import app.extensions)."""
    return current_app.extensions["sqlalchemy"].session()


def _driver():
    """The session's connection and its driver connection, in (or beginning) its transaction.

    Kept in the session's info until the transaction ends: asking the session every time cost
    more than some of the statements it then ran."""
    session = _session()
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
    session = _session()
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


class SkipUnlimitedApiCalls:
    """Mixed into Flask-Limiter's Limiter (app/extensions.py): its hook before every request
    passes over the API calls that have no limits of their own. Those are counted per token
    holder by the API itself (api/spec._limit_holder), and the hook's bookkeeping cost more
    than that whole count (about a tenth of a token read's CPU). Overrides Flask-Limiter's
    private `_check_request_limit(callable_name, in_middleware)`, which its hook calls with
    in_middleware=True and its decorators with False."""

    api_endpoints: set[str]  # API endpoints limited through Flask-Limiter too (sign-in attempts)

    def _check_request_limit(self, callable_name=None, in_middleware: bool = True) -> None:
        if in_middleware and request.blueprint == "api" and request.endpoint not in self.api_endpoints:
            return
        super()._check_request_limit(callable_name, in_middleware)
