"""In-app notifications: the list every signed-in account reads, and the job that delivers them."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)

from app.notifications import views  # noqa: E402,F401
