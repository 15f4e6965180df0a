"""Night-talk meetings (夜谈会): planning, the live check-in code, attendance and its points."""
from flask import Blueprint

bp = Blueprint("meetings", __name__)

from app.meetings import notify, views  # noqa: E402,F401
