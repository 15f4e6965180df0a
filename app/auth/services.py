"""Authentication rules: checking passwords, changing them, ending sessions, remembering the language."""
from datetime import timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from app import audit
from app.access import permissions
from app.auth import throttle
from app.auth.passwords import check_new_password
from app.database import transaction
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.models import ApiToken, User
from app.models.base import utcnow

# A real hash to check against when the username is unknown, so timing does not tell.
_DUMMY_HASH: dict[str, str] = {}


def authenticate(username: str, password: str) -> Optional[User]:
    """The active account for these credentials, or None; records the attempt either way."""
    username = normalise_username(username)
    # Usernames are stored lower-case, so this is a lookup on the unique index.
    user = db.session.scalar(sa.select(User).where(User.username == username))
    stored = (user.password_hash, user.active) if user is not None else None
    if stored is None:
        _spend_hash_time(password)
    ok = stored is not None and check_password_hash(stored[0], password) and stored[1]
    throttle.attempted(bool(ok))
    with transaction():
        if ok:
            user.last_login_at = utcnow()
            audit.record("login", target=user.username, actor=user)
        else:
            audit.record("login_failed", target=username[:64], actor=None)
    return user if ok else None


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up trimmed and lower-case."""
    return (username or "").strip().lower()


def _spend_hash_time(password: str) -> None:
    """Check a password against a throwaway hash so unknown usernames take as long as known ones."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash("not-a-password", method=method)
    check_password_hash(_DUMMY_HASH[method], password)


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password after checking the current one; ends every other session.

    Both slow hashes run before the write transaction: on SQLite its lock would hold up every
    other write meanwhile (a village's households changing their one-time passwords at once)."""
    if not user.check_password(current):
        raise DomainError(_("The current password is wrong."), code="wrong_password")
    if current == new:
        raise InvalidInput(_("The new password must differ from the current one."))
    check_new_password(new, user.username)
    hashed = generate_password_hash(new, method=current_app.config["PASSWORD_HASH_METHOD"])
    with transaction():
        user.password_hash = hashed
        user.must_change_password = False
        user.end_sessions()
        revoke_api_tokens(user)
        audit.record("password_changed", target=user.username, actor=user)


def revoke_api_tokens(user: User) -> None:
    """A new password or a deactivation signs out every program too (in the caller's transaction)."""
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))


@transaction()
def end_sessions(user: User) -> None:
    """Sign the account out everywhere: every session and remember-me cookie stops working."""
    user.end_sessions()
    audit.record("logout", target=user.username, actor=user)


def idle_timeout(user: User) -> timedelta:
    """How long a session of this account may go unused: short for staff, long for residents."""
    if may_remember(user):
        return current_app.config["IDLE_TIMEOUT_RESIDENT"]
    return current_app.config["IDLE_TIMEOUT_STAFF"]


def set_language(user: Optional[User], language: str) -> None:
    """Remember the chosen language on the account."""
    if user is not None:
        with transaction():
            user.language = language


def may_remember(user: User) -> bool:
    """Only residents (on their own phones) may stay signed in across browser restarts; the rule
    is access/accounts.py's "sessions.remember"."""
    return permissions.may(user, "sessions.remember")
