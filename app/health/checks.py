"""What /readyz checks: the database answers, Redis answers (when the rate limits use it), and the
schema is at the newest migration. Each check answers None when fine, else a short phrase for the
operator (never a driver's message: the page is public)."""
from functools import lru_cache
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from app.config import BASE_DIR
from app.extensions import db


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The newest revision(s) of migrations/, read once per process."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(BASE_DIR / "migrations")).get_heads())


def database() -> Optional[str]:
    """The database answers and its schema is at the migrations' head."""
    try:
        found = set(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        try:
            db.session.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return "database: not answering"
        finally:
            db.session.rollback()
        return "migrations: the database has no schema yet (run flask db upgrade)"
    db.session.rollback()
    wanted = migration_heads()
    if found != wanted:
        return (f"migrations: the database is at {', '.join(sorted(found)) or 'nothing'}, "
                f"the code expects {', '.join(sorted(wanted))} (run flask db upgrade)")
    return None


@lru_cache(maxsize=4)
def _redis_client(uri: str):
    """One client (and connection pool) per Redis URI, so probes reuse a connection."""
    import redis

    return redis.Redis.from_url(uri, socket_timeout=2, socket_connect_timeout=2)


def redis_storage() -> Optional[str]:
    """Redis answers, when the rate limits are kept there; None when they are not."""
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
    if not uri.startswith(("redis://", "rediss://")):
        return None
    try:
        _redis_client(uri).ping()
    except ImportError:
        return "redis: the redis package is not installed"
    except Exception:  # any failure to answer: refused, timed out, wrong password...
        return "redis: not answering"
    return None


def missing() -> list[str]:
    """Everything that keeps this process from serving; empty when ready."""
    return [problem for problem in (database(), redis_storage()) if problem]
