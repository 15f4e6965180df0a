"""The village household register: list, create, edit, deactivate, grids, import and export."""
from flask import Blueprint

bp = Blueprint("households", __name__)

from app.households import views  # noqa: E402,F401
from app.households.io import views as io_views  # noqa: E402,F401
