"""Issues (问题诉求) and suggestions (意见建议): the closed loop, supervision and contribution points."""
from flask import Blueprint

bp = Blueprint("issues", __name__)

from app.issues import jobs, notify, views  # noqa: E402,F401
