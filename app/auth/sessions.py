"""Sessions: a fresh one at every sign-in, an idle timeout per role, and the forced password change.

A session (and a household's remember-me cookie) names the account and its session version
(User.get_id); logout, password changes and resets, role changes and deactivation raise the
version, so every copy of an old cookie stops working.
"""
import time

from flask import redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.auth import bp, services
from app.calls import is_call
from app.models import User

_SEEN = "_seen"
# Pages a user who must change the password may still open.
_ALLOWED_WHILE_CHANGING = {"auth.password", "auth.logout", "auth.language", "static", "main.healthz"}


def start_session(user: User, remember: bool) -> None:
    """Sign `user` in with a brand-new session: nothing from before sign-in (a CSRF token
    someone planted, an old user id) carries over, except the chosen language."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    session.permanent = remember
    login_user(user, remember=remember)
    session[_SEEN] = int(time.time())


@bp.before_app_request
def enforce_session_rules():
    """End sessions left idle too long; send an account with a password set by someone else
    to change it before anything else."""

    if request.endpoint == "static" or is_call(request.path) or not current_user.is_authenticated:
        return None  # (an API call's account comes from its token alone, never from a cookie)
    now = int(time.time())
    seen = session.get(_SEEN)
    if isinstance(seen, int) and now - seen > services.idle_timeout(current_user).total_seconds():
        logout_user()
        session.pop(_SEEN, None)
        return redirect(url_for("auth.login", next=request.full_path
                                if request.method == "GET" else None))
    if not isinstance(seen, int) or now - seen >= 60:  # rewrite the cookie at most once a minute
        session[_SEEN] = now
    if current_user.must_change_password and request.endpoint not in _ALLOWED_WHILE_CHANGING:
        return redirect(url_for("auth.password"))
    return None
