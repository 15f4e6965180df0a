"""Officials' view of the regions under them: every village with its figures."""
from flask import Blueprint

bp = Blueprint("regions", __name__)

from app.regions import views  # noqa: E402,F401
