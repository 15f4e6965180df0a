"""Flask extensions, created unbound and bound to the app in create_app()."""
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


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, whose hook before every request passes over the API calls that have no
    limits of their own: those are counted per token holder by the API itself
    (api/spec._limit_holder), and the hook's bookkeeping cost more than that whole count."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # API endpoints limited through Flask-Limiter too (sign-in attempts per username).
        self.api_endpoints: set[str] = set()

    def _check_request_limit(self, callable_name=None, in_middleware: bool = True) -> None:
        if in_middleware and request.blueprint == "api" and request.endpoint not in self.api_endpoints:
            return
        super()._check_request_limit(callable_name, in_middleware)


limiter = Limiter(key_func=get_remote_address, default_limits=[])


def login_username_key() -> str:
    """Rate-limit key for sign-in attempts against one username, whoever sends them."""
    username = request.form.get("username")
    if username is None and request.is_json:
        body = request.get_json(silent=True)
        username = body.get("username") if isinstance(body, dict) else None
    return "user:" + (username if isinstance(username, str) else "").strip().lower()[:64]
