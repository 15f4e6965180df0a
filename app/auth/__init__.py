"""Signing in and out, changing one's own password and language."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import sessions, views  # noqa: E402,F401
