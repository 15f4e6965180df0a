"""Engine set-up: SQLite done right (WAL, busy timeout, foreign keys, BEGIN IMMEDIATE)."""
import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.engine import Engine


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
        # SQLITE_BUSY; taking the write lock up front makes concurrent writers wait instead.
        # Page views (GET) never write, so they read concurrently without the lock.
        if has_request_context() and request.method in ("GET", "HEAD"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
