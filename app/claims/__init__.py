"""Claims (积分申报) pages: a household or grid leader asks, the committee decides.

Writes go through app/ledger/ (services, claims, rulebook); reads through its queries.
"""
from flask import Blueprint

bp = Blueprint("claims", __name__)

from app.claims import views  # noqa: E402,F401
