"""The village household register: list, create, edit, deactivate, grids, import and export."""
from flask import Blueprint

bp = Blueprint("households", __name__)

from app.households import transfer, views  # noqa: E402,F401
