"""The JSON API v1 under /api/v1 (CONTRACT.md), for mini-programs, shop counters and county systems.

Only bearer tokens authenticate here: the blueprint is exempt from CSRF because a session cookie
never counts. `pages_bp` holds the HTML page where users manage their tokens.
"""
from flask import Blueprint

bp = Blueprint("api", __name__)
pages_bp = Blueprint("api_pages", __name__)

from app.api import views, views_ledger, views_meetings, views_pages, views_shop  # noqa: E402,F401
