"""Domain exceptions raised by services, and how pages and the JSON API answer them."""
import math
import time
from typing import Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, flash, g, jsonify, make_response, redirect, render_template, request, session
from flask_babel import force_locale, gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.calls import is_call
from app.extensions import db, limiter, login
from app.health.requestlog import request_id
from app.i18n import LANGUAGE_NAMES, html_lang, normalise


class DomainError(Exception):
    """A business rule refused the request; the message is shown to the user as it is.

    `code` is a stable snake_case name for programs (the JSON API's error code); `status` the
    HTTP status a page or API call answers with, the same for both (the contract's: 403 or 404
    outside one's scope, 409 a conflict, 422 refused by a rule; 400 only for a request the API's
    document does not describe).
    """

    status = 422
    code = "refused"

    def __init__(self, message: str, code: Optional[str] = None, status: Optional[int] = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class NotAllowed(DomainError):
    """The user may not do this, though the thing exists in their scope."""

    status = 403
    code = "not_allowed"


class NotFound(DomainError):
    """The thing does not exist, or is outside the user's scope (the same answer for both)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request conflicts with what is already recorded (a duplicate, a second reversal...)."""

    status = 409
    code = "conflict"


class InvalidInput(DomainError):
    """Input that passed the form's shape checks but makes no sense (an unknown grid...): well
    formed, so refused by a rule (422), not a malformed request (400)."""

    status = 422
    code = "invalid_input"


class InsufficientPoints(DomainError):
    """A redemption asked for more points than the household's balance holds."""

    status = 422
    code = "insufficient_points"


# Stable codes of HTTP errors in JSON answers.
HTTP_CODES = {400: "bad_request", 401: "not_signed_in", 403: "not_allowed", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "bad_request",
              422: "refused", 429: "too_many_requests", 500: "server_error", 503: "unavailable"}


def wants_json() -> bool:
    """True for calls to the JSON API, which never get an HTML page (its documentation page is
    a page)."""
    return is_call(request.path)


def json_error(status: int, code: str, message: str):
    """The JSON API's error answer: {"error": {"code", "message", "request_id"}} with the status
    (the request id, also sent as X-Request-ID, is what the helpdesk looks up in the logs)."""
    return jsonify(error={"code": code, "message": message, "request_id": request_id()}), status


def _same_site_referrer() -> Optional[str]:
    """The page the request came from, when it is on this site; else None."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if not referrer or parts.netloc != request.host or "\r" in referrer or "\n" in referrer:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _retry_after(error: HTTPException) -> Optional[int]:
    """Seconds until a breached rate limit lets the next request through: from werkzeug's own
    `retry_after`, else from Flask-Limiter's window of the limit this request broke."""
    from datetime import datetime, timezone

    given = getattr(error, "retry_after", None)
    if isinstance(given, datetime):
        return max(1, math.ceil((given - datetime.now(timezone.utc)).total_seconds()))
    if isinstance(given, int):
        return max(1, given)
    try:
        current = limiter.current_limit
    except Exception:  # no limiter context in this request
        current = None
    if current is not None and current.reset_at:
        return max(1, math.ceil(current.reset_at - time.time()))
    limit = getattr(getattr(error, "limit", None), "limit", None)
    return limit.get_expiry() if limit is not None else None


def with_error_headers(response, error: HTTPException):
    """Keep what an HTTP error tells a client in its headers: `Allow` on a 405 (RFC 9110) and
    `Retry-After` on a 429, which a page or JSON answer built afresh would otherwise drop."""
    if error.code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if error.code == 429:
        seconds = _retry_after(error)
        if seconds:
            response.headers["Retry-After"] = str(seconds)
    return response


def register(app: Flask) -> None:
    """Render 403, 404, 429 and 500 as pages (or JSON under /api)."""

    @app.teardown_appcontext
    def _end_session(_error) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier, called later). A
        # connection the database dropped after the request's last statement (a restart, a
        # terminated backend) makes the closing ROLLBACK fail: the answer already stands (what
        # was committed is committed), so the connection is invalidated, not rolled back, and
        # the client gets its answer instead of the server's bare 500.
        try:
            db.session.remove()
        except sa.exc.DBAPIError:
            db.session().invalidate()
            db.session.remove()

    def page(status: int, title: str, message: str):
        if wants_json():
            return json_error(status, HTTP_CODES.get(status, "error"), message)
        return render_template("errors/error.html", status=status, title=title,
                               message=message), status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: (_("Bad request"), _("The request could not be understood. Please go back and try again.")),
            403: (_("Not allowed"), _("Your account may not open this page.")),
            404: (_("Not found"), _("This page does not exist, or it is not in your area.")),
            405: (_("Wrong kind of request"),
                  _("This address only takes a form sent from its page. Please go back and use the "
                    "button on the page.")),
            413: (_("File too large"), _("The file is too large. Please choose a smaller one.")),
            429: (_("Too many attempts"), _("Too many attempts. Please wait a few minutes and try again.")),
        }
        title, message = messages.get(error.code, (_("Error"), _("Something went wrong.")))
        if error.code == 405 and (wants_json() or "GET" in (getattr(error, "valid_methods", None) or ())):
            # Not a form's address (an API call, or a page sent a form it does not take).
            message = _("This address does not accept that kind of request.")
        response = make_response(page(error.code or 500, title, message))
        return with_error_headers(response, error)

    @login.unauthorized_handler
    def not_signed_in():
        # The API answers 401 in JSON; pages send the visitor to sign in, as Flask-Login would.
        if wants_json():
            return json_error(401, "not_signed_in", _("Please sign in first."))
        from flask_login.utils import login_url

        flash(_("Please sign in to open this page."), "info")
        return redirect(login_url(login.login_view, request.url))

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        # Views normally turn a DomainError into a message on their own page; this is the net
        # under them: JSON for the API, otherwise the message back on the page the user came from.
        db.session.rollback()
        if wants_json():
            return json_error(error.status, error.code, error.message)
        target = _same_site_referrer()
        if target and request.method == "POST":
            flash(error.message, "danger")
            return redirect(target)
        return render_template("errors/error.html", status=error.status, title=_("Not done"),
                               message=error.message), error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return page(400, _("Please try again"),
                    _("This form was open too long or sent twice. Please reload the page and try again."))

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def database_error(error: Exception):
        if not unavailable(error):
            return server_error(error)
        app.logger.warning("Database unavailable (request %s): %s", request_id(),
                           str(error).splitlines()[0][:300])
        return database_unavailable()

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        # The request id the error page shows leads the helpdesk to this traceback.
        app.logger.exception("Unhandled error (request %s)", request_id())
        db.session.rollback()
        return page(500, _("Something went wrong"),
                    _("Something went wrong on our side. Nothing was saved. Please try again later."))


def unavailable(error: Exception) -> bool:
    """True when the database could not be reached or dropped the connection (a server restart,
    a terminated backend, an unreachable host, SQLite's file locked or unopenable, a full pool):
    the request may succeed later, so it is a 503 and not a bug."""
    return (isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError))
            or getattr(error, "connection_invalidated", False))


def _language_without_database() -> str:
    """The page's language, chosen without asking the database (it is not answering): the signed-in
    account's when already loaded, else the session's, then the browser's, then the default."""
    from flask import current_app

    user = g.get("_login_user")
    if not is_call(request.path) and getattr(user, "language", None) in LANGUAGE_NAMES:
        return user.language
    if not is_call(request.path) and session.get("language") in LANGUAGE_NAMES:
        return session["language"]
    for tag, _quality in request.accept_languages:
        if normalise(tag):
            return normalise(tag)
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def database_unavailable():
    """503 in the user's language: a small page with no menu (the menu reads the database), or
    the API's JSON error. The request counts as signed out from here on, so no later hook asks
    the database for the account again."""
    from flask import current_app

    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        pass
    g._login_user = login.anonymous_user()
    headers = {"Retry-After": "30", "Cache-Control": "no-store"}
    language = _language_without_database()
    with force_locale(language):
        title = _("Service briefly unavailable")
        message = _("The database is not answering just now. Nothing was saved. "
                    "Please try again in a minute.")
        if wants_json():
            body, status = json_error(503, "unavailable", message)
            body.headers.extend(headers)
            return body, status
        # Rendered without the context processors: they read the signed-in account's menu and
        # notifications from the database.
        html = current_app.jinja_env.get_template("errors/unavailable.html").render(
            title=title, message=message, request_id=request_id(), lang=html_lang(language))
    return html, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}
