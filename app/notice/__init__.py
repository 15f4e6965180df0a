"""The notice board (积分公示), its A4 print and objections (异议) to entries.

Writes go through app/ledger/ (services, claims, rulebook); reads through its queries.
"""
from flask import Blueprint

bp = Blueprint("notice", __name__)

from app.notice import views  # noqa: E402,F401
