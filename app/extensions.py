"""Flask extensions, created unbound and bound to the app in create_app()."""
import logging
import time

import sqlalchemy as sa
from flask import request
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
import flask_limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from app import ratelimits  # noqa: F401  (registers the local:// rate-limit storage)
from app.fast import SkipUnlimitedApiCalls

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = sa.MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()


STORAGE_RECHECK_SECONDS = 30.0  # while Redis is out, how often an API call asks whether it is back


class Limiter(SkipUnlimitedApiCalls, flask_limiter.Limiter):
    """Flask-Limiter, whose hook before every request passes over the API calls that have no
    limits of their own (app/fast.py), and which falls back to this process's memory while
    Redis is out, for the API's own counts and the counts kept after a response too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Under the app's logger, whose handler prints (Flask-Limiter's own has none): a Redis
        # outage is logged once, "falling back to in-memory storage", then "recovered".
        self.logger = logging.getLogger("app.ratelimits")
        # API endpoints limited through Flask-Limiter too (sign-in attempts per username).
        self.api_endpoints: set[str] = set()

    def init_app(self, app) -> None:
        self._storage_options = {}  # Flask-Limiter adds each app's to the last one's
        super().init_app(app)
        self._storage_dead = False  # a new app starts on its configured storage
        self._rechecked_at = float("-inf")
        if self._fallback_limiter is not None:
            # The fallback counts like local:// (no timer thread per request while Redis is out).
            self._fallback_storage = ratelimits.LocalStorage()
            self._fallback_limiter = type(self._fallback_limiter)(self._fallback_storage)

    def hit(self, item, *identifiers: str) -> bool:
        """Count one against `item` for `identifiers`; False when the limit is reached. When the
        storage (Redis) fails, counts in this process's memory from then on, as Flask-Limiter's
        own checks do (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), instead of failing the request."""
        if self._storage_dead:
            self._recheck()
        try:
            return self.limiter.hit(item, *identifiers)
        except Exception:
            if not self._fall_back():
                raise
            return self.limiter.hit(item, *identifiers)

    def _recheck(self) -> None:
        """Back to the shared storage once it answers again, asked at most every
        STORAGE_RECHECK_SECONDS: API calls with no limits of their own never reach
        Flask-Limiter's own check (in its hook before each request)."""
        now = time.monotonic()
        if now - self._rechecked_at < STORAGE_RECHECK_SECONDS:
            return
        self._rechecked_at = now
        if self._storage is not None and self._storage.check():
            self._storage_dead = False
            self.logger.warning("Rate limit storage recovered")

    def forget(self, key: str) -> None:
        """Clear this request's conditional counts kept under `key` (a right password clears its
        username's failed sign-ins)."""
        deductions = self.context.conditional_deductions
        for limit, args in list(deductions.items()):
            if key in args:
                del deductions[limit]
                try:
                    self.limiter.clear(limit.limit, *args)
                except Exception:
                    if self._fall_back():
                        self.limiter.clear(limit.limit, *args)

    def _Limiter__check_conditional_deductions(self, response) -> None:
        # Flask-Limiter's own (name-mangled, so this class's name must stay Limiter): the counts
        # kept after the response (failed sign-ins) must not turn a Redis outage that began
        # during the request into a server error either.
        try:
            super()._Limiter__check_conditional_deductions(response)
        except Exception:
            if not self._fall_back():
                raise
            super()._Limiter__check_conditional_deductions(response)

    def _fall_back(self) -> bool:
        """Switch to the in-memory fallback after a storage failure, saying so once per outage;
        False when there is no fallback to switch to."""
        if not self._in_memory_fallback_enabled:
            return False
        if not self._storage_dead:
            self._storage_dead = True
            self.logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
        return True


limiter = Limiter(key_func=get_remote_address, default_limits=[])


def login_username_key() -> str:
    """Rate-limit key for sign-in attempts against one username, whoever sends them."""
    username = request.form.get("username")
    if username is None and request.is_json:
        body = request.get_json(silent=True)
        username = body.get("username") if isinstance(body, dict) else None
    return "user:" + (username if isinstance(username, str) else "").strip().lower()[:64]
