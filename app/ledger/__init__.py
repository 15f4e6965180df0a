"""The points ledger: rulebook, awards and deductions, redemptions, reversals, claims, objections.

app/ledger/services.py is the only code that writes ledger entries, balances and scores.
"""
from flask import Blueprint

bp = Blueprint("ledger", __name__)

from app.ledger import notify, views_committee, views_household, views_notice, views_rulebook  # noqa: E402,F401
