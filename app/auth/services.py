"""Authentication rules: checking passwords, changing them, remembering the language."""
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app import audit
from app.errors import DomainError
from app.extensions import db
from app.models import Role, User
from app.models.base import utcnow

# Roles whose sessions must not outlive the browser: they move points or see many households.
NO_REMEMBER = {Role.ADMIN, Role.OFFICIAL, Role.COMMITTEE, Role.SHOP}
# A real hash to check against when the username is unknown, so timing does not tell.
_DUMMY_HASH: dict[str, str] = {}


def authenticate(username: str, password: str) -> Optional[User]:
    """The active account for these credentials, or None; records the attempt either way."""
    username = normalise_username(username)
    # Usernames are stored lower-case, so this is a lookup on the unique index.
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        _spend_hash_time(password)
    ok = user is not None and user.check_password(password) and user.active
    if ok:
        user.last_login_at = utcnow()
        audit.record("login", target=user.username, actor=user)
    else:
        audit.record("login_failed", target=username[:64], actor=None)
    db.session.commit()
    return user if ok else None


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up trimmed and lower-case."""
    return (username or "").strip().lower()


def _spend_hash_time(password: str) -> None:
    """Check a password against a throwaway hash so unknown usernames take as long as known ones."""
    from werkzeug.security import check_password_hash, generate_password_hash

    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash("not-a-password", method=method)
    check_password_hash(_DUMMY_HASH[method], password)


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password after checking the current one."""
    if not user.check_password(current):
        raise DomainError(_("The current password is wrong."))
    if current == new:
        raise DomainError(_("The new password must differ from the current one."))
    user.set_password(new)
    revoke_api_tokens(user)
    audit.record("password_changed", target=user.username, actor=user)
    db.session.commit()


def revoke_api_tokens(user: User) -> None:
    """A new password or a deactivation signs out every program too (in the caller's transaction)."""
    from app.api.tokens import revoke_all

    revoke_all(user)


def set_language(user: Optional[User], language: str) -> None:
    """Remember the chosen language on the account."""
    if user is not None:
        user.language = language
        db.session.commit()


def may_remember(user: User) -> bool:
    """Only households (on their own phones) may stay signed in across browser restarts."""
    return user.role not in NO_REMEMBER
