"""API calls carry no session: no cookie is read or written for them, and no account comes from one.

Only a bearer token authenticates a call (`tokens.current`). Opening the signed-cookie session,
letting Flask-Login look for an account in it (or in a remember-me cookie) and saving it again
was work every call paid for and then threw away; worse, a cookie could have answered for the
account behind a call's error message. The documentation page under /api/v1 is a page like the
others (the site's menu, its language form) and keeps the session.
"""
from flask import Flask, g
from flask.sessions import SecureCookieSessionInterface

DOCS_PATH = "/api/v1/docs"


def is_call(path: str) -> bool:
    """True for an API call's address (everything under /api/ but the documentation page)."""
    return path.startswith("/api/") and path != DOCS_PATH


class PagesOnlySessions(SecureCookieSessionInterface):
    """The site's signed-cookie session for pages; for API calls an empty one that refuses writes,
    and nobody signed in as far as Flask-Login is concerned."""

    def open_session(self, app: Flask, request):
        if is_call(request.path):
            from app.extensions import login

            g._login_user = login.anonymous_user()
            return self.make_null_session(app)
        return super().open_session(app, request)
