"""Security headers, client addresses behind trusted proxies, and the per-request template context."""
import os
from pathlib import Path

from flask import Flask, abort, request
from flask_babel import get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

from app.access.menu_bar import menu_bar
from app.access.permissions import may, menu_for, menu_sections_for
from app.calls import is_call
from app.events import unread_count
from app.i18n import LANGUAGE_NAMES, html_lang

# Only our own scripts and styles; no inline code, so an injected <script> cannot run.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# The camera scanner's page only: zxing-wasm must compile its WebAssembly (never 'unsafe-eval').
SCANNER_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")


def scanner_csp(response):
    """Give one response (a page with the QR scanner) the CSP that lets WebAssembly compile."""
    response.headers["Content-Security-Policy"] = SCANNER_CSP
    return response


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _json_has_nul() -> bool:
    """True when a JSON body holds a NUL in any string, key or value (JSON spells it \\u0000).

    The body is parsed, not searched as text: a literal backslash followed by u0000 is no NUL."""
    if not request.is_json:
        return False
    try:
        body = request.get_json(silent=True, cache=True)
    except RecursionError:  # nested beyond reason: no honest client sends that
        abort(400)
    waiting = [body]
    while waiting:  # a loop, not recursion, so deep nesting cannot overflow the stack
        value = waiting.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            waiting.extend(value.keys())
            waiting.extend(value.values())
        elif isinstance(value, list):
            waiting.extend(value)
    return False


class TrustedProxies:
    """Take the client's address and scheme from X-Forwarded-For/-Proto, but only the entries
    added by the LIANXIN_TRUSTED_PROXIES proxies in front of us (werkzeug's ProxyFix); with 0,
    the headers are ignored, so a client cannot choose its own address."""

    def __init__(self, app: Flask):
        self.app, self.wsgi_app = app, app.wsgi_app

    def __call__(self, environ, start_response):
        count = int(self.app.config.get("TRUSTED_PROXIES") or 0)
        if count > 0:
            return ProxyFix(self.wsgi_app, x_for=count, x_proto=count)(environ, start_response)
        return self.wsgi_app(environ, start_response)


def private_sqlite_file(url: str) -> None:
    """Create an SQLite database file readable by its owner only (0600) before SQLite creates
    it world-readable; its -wal and -shm files take the same permissions."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.exists() and path.parent.is_dir():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass


def init_app(app: Flask) -> None:
    """Register the proxy middleware, the header hook and template globals."""
    app.wsgi_app = TrustedProxies(app)
    private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])

    @app.before_request
    def refuse_nul_bytes():
        # PostgreSQL text cannot hold NUL, and no honest form sends one: refuse the request
        # whole (400) rather than fail half-way through a write.
        values = list(request.args.values())
        if request.mimetype in _FORM_TYPES:  # the only bodies werkzeug reads as a form
            values += request.form.values()
        if any("\x00" in value for value in values) or _json_has_nul():
            abort(400)

    fixed = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
             ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
             ("Permissions-Policy", "camera=(self), microphone=(), geolocation=()"))
    hsts = (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)

    @app.after_request
    def set_security_headers(response):
        # Each header unless the view set its own (the scanner page's CSP), added in one go:
        # every response pays for this hook.
        present = {name.lower() for name, _value in response.headers}
        wanted = fixed + hsts if app.config.get("SESSION_COOKIE_SECURE") else fixed
        response.headers.extend([(name, value) for name, value in wanted
                                 if name.lower() not in present])
        # Name no server software or version (the development server would name both).
        response.headers["Server"] = "lianxin"
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            from flask_login import current_user

            # An API call answers one account's data (its token's, never a cookie's): never kept.
            if is_call(request.path) or current_user.is_authenticated:
                # Signed-in pages show personal data: never kept by the browser or a proxy, so
                # the back button on a shared phone shows nothing after sign-out.
                response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def inject_language():
        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        from flask_login import current_user

        # The account itself, not Flask-Login's proxy: a page asks user_may a dozen times.
        user = current_user._get_current_object()
        return {"current_locale": locale, "html_lang": html_lang(locale),
                "language_names": LANGUAGE_NAMES, "menu_for": menu_for,
                "menu_sections_for": menu_sections_for, "menu_bar": menu_bar,
                # what the signed-in user may do, for a page's links (a rule of app/access/)
                "user_may": lambda action, target=None: may(user, action, target),
                "unread_notifications": unread_count(user)}
