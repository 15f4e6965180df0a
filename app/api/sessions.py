"""API calls carry no session: no cookie is read or written for them.

Only a bearer token authenticates a call (`tokens.current`); a session cookie never does. Opening
the signed-cookie session and saving it again was work every call paid for and threw away. A call
gets an empty session that is never sent back, so whatever writes to it (Flask-Login reading a
remember-me cookie, say) changes nothing for the browser. The documentation page under /api/v1 is
a page like the others (the site's menu, its language form) and keeps the real session.
"""
from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from app.calls import is_call


class Unsaved(SecureCookieSession):
    """An API call's session: empty when the call begins, never saved."""


class PagesOnlySessions(SecureCookieSessionInterface):
    """The site's signed-cookie session for pages; an `Unsaved` one for API calls."""

    def open_session(self, app: Flask, request):
        if is_call(request.path):
            return Unsaved()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if isinstance(session, Unsaved):
            return
        super().save_session(app, session, response)
