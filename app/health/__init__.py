"""Health and metrics: /readyz, /metrics, request ids and one JSON log line per request
(/healthz, the plainest check, is main's)."""
from flask import Blueprint, Flask

bp = Blueprint("health", __name__)

from app.health import requestlog, views  # noqa: E402  (views registers the routes)


def init_app(app: Flask) -> None:
    """Register the blueprint and the per-request hooks."""
    views.allowed_networks(app)  # a bad LIANXIN_METRICS_ALLOW stops the start, with the reason
    app.register_blueprint(bp)
    requestlog.init_app(app)
