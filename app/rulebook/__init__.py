"""The rulebook pages (积分细则): the committee keeps it, everyone in the village reads it.

Writes go through app/ledger/ (services, claims, rulebook); reads through its queries.
"""
from flask import Blueprint

bp = Blueprint("rulebook", __name__)

from app.rulebook import settlement, views  # noqa: E402,F401
