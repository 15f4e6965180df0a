"""Security headers and the per-request template context."""
from flask import Flask, abort, request
from flask_babel import get_locale

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


def _json_has_nul() -> bool:
    """True when a JSON body holds a NUL in any string, key or value (JSON spells it \\u0000)."""
    if not request.is_json:
        return False
    data = request.get_data(cache=True, as_text=True)
    return "\\u0000" in data or "\x00" in data


def init_app(app: Flask) -> None:
    """Register the header hook and template globals."""

    @app.before_request
    def refuse_nul_bytes():
        # PostgreSQL text cannot hold NUL, and no honest form sends one: refuse the request
        # whole (400) rather than fail half-way through a write.
        values = list(request.args.values()) + list(request.form.values())
        if any("\x00" in value for value in values) or _json_has_nul():
            abort(400)

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.context_processor
    def inject_language():
        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        from flask_login import current_user

        from app.access.permissions import menu_for
        from app.events import unread_count

        return {"current_locale": locale, "html_lang": html_lang(locale),
                "language_names": LANGUAGE_NAMES, "menu_for": menu_for,
                "unread_notifications": unread_count(current_user)}
