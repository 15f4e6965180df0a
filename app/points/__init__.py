"""Points pages: awards and deductions (after a confirmation), the village's entries, reversals,
the household's history and evidence photos. URLs stay under /ledger.

Writes go through app/ledger/ (services, claims, rulebook); reads through its queries.
"""
from flask import Blueprint

bp = Blueprint("points", __name__)

from app.points import views  # noqa: E402,F401
