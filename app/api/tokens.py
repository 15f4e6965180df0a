"""API tokens: signing in a program, recognising its bearer token, signing it out, revoking.

A token is 256 random bits shown once; the database keeps only its SHA-256, so a copy of the
database signs nobody in. Tokens expire, and a password change or deactivation revokes them all.
"""
import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache
from typing import Optional

import sqlalchemy as sa
from flask import current_app, g, request
from flask_babel import gettext as _

from app import audit
from app.auth.services import authenticate
from app.database import transaction
from app.errors import DomainError, NotFound
from app.extensions import db
from app.fast import Prepared, as_loaded
from app.models import ApiToken, Shop, User
from app.models.base import utcnow

# How stale `last_used_at` may get before a request writes it again (reads stay read-only).
TOUCH_EVERY = timedelta(minutes=5)


class NotSignedIn(DomainError):
    """No valid bearer token: missing, unknown, expired, revoked, or its account deactivated."""

    status = 401
    code = "not_signed_in"


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(username: str, password: str, label: str = "") -> tuple[str, ApiToken]:
    """Sign in with a password; returns the new token (shown once) and its record."""
    user = authenticate(username, password)
    if user is None:
        raise NotSignedIn(_("Wrong username or password."), code="wrong_credentials")
    token = secrets.token_urlsafe(32)
    days = current_app.config.get("API_TOKEN_DAYS", 30)
    with transaction():
        record = ApiToken(user_id=user.id, token_hash=hash_token(token), label=label[:100],
                          expires_at=utcnow() + timedelta(days=days))
        db.session.add(record)
        audit.record("api_token_issued", target=user.username, actor=user)
    return token, record


def bearer_token() -> Optional[str]:
    """The token of the request's `Authorization: Bearer ...` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        return None
    return token


_TOKENS, _USERS, _SHOPS = ApiToken.__table__, User.__table__, Shop.__table__

# Every API call runs it: the token, its account and the account's shop in one row.
_BEARER = Prepared(
    sa.select(_TOKENS.c.id, _TOKENS.c.expires_at, _TOKENS.c.last_used_at,
              *[column.label(f"user_{column.key}") for column in _USERS.c],
              *[column.label(f"shop_{column.key}") for column in _SHOPS.c])
    .select_from(_TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id)
                 .outerjoin(_SHOPS, _SHOPS.c.id == _USERS.c.shop_id))
    .where(_TOKENS.c.token_hash == sa.bindparam("hash")))


@lru_cache(maxsize=1)
def _layout() -> tuple[list, list]:
    """[(attribute, position in the row)] for the account's columns, then the shop's."""
    names = [column.key for column in _BEARER.columns]

    def of(model, prefix):
        mapper = sa.inspect(model)
        return [(mapper.get_property_by_column(column).key, names.index(f"{prefix}_{column.key}"))
                for column in model.__table__.c]

    return of(User, "user"), of(Shop, "shop")


def current() -> tuple[User, tuple]:
    """The account behind the request's bearer token and the token (a row of its id, expires_at
    and last_used_at); NotSignedIn otherwise.

    One statement reads the token, its account and the account's shop; the account and shop
    join the session as if the ORM had loaded them. On SQLite this read begins a plain BEGIN;
    a call that writes takes the write lock when its `transaction()` begins.
    """
    token = bearer_token()
    now = utcnow()
    found = _BEARER.run({"hash": hash_token(token)}).first() if token else None
    if found is None or found.expires_at <= now or not found.user_active:
        raise NotSignedIn(_("Please sign in first."))
    user_columns, shop_columns = _layout()
    shop = None
    if found.shop_id is not None:
        shop = as_loaded(Shop, {name: found[i] for name, i in shop_columns})
    user = as_loaded(User, {name: found[i] for name, i in user_columns}, shop=shop)
    g.api_user_id = user.id
    if found.last_used_at is None or found.last_used_at < now - TOUCH_EVERY:
        with transaction():  # takes the write lock (database._take_write_lock), expiring nothing
            db.session.execute(sa.update(ApiToken).where(ApiToken.id == found.id)
                               .values(last_used_at=now))
    return user, found


@transaction()
def revoke(user: User, token_id: int) -> None:
    """Sign out one of the user's own tokens; another account's token is not found."""
    done = db.session.execute(sa.delete(ApiToken).where(ApiToken.id == token_id,
                                                        ApiToken.user_id == user.id))
    if done.rowcount != 1:
        raise NotFound(_("This token does not exist."))
    audit.record("api_token_revoked", target=user.username, actor=user)


def tokens_of(user: User) -> list[ApiToken]:
    """The account's live tokens, newest first (a handful at most, so no paging)."""
    return list(db.session.scalars(sa.select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.expires_at > utcnow())
        .order_by(ApiToken.id.desc()).limit(200)))
