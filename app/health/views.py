"""/readyz for the load balancer and /metrics for Prometheus; neither has a session or a limit."""
import ipaddress
import json

from flask import Flask, abort, current_app, request

from app.extensions import limiter
from app.health import bp, checks, metrics

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """200 when the database and Redis (if the limits use it) answer and the schema is at the
    newest migration; otherwise 503 and, as JSON, what is missing."""
    missing = checks.missing()
    body = json.dumps({"ready": not missing, "missing": missing}, ensure_ascii=False)
    return body, 503 if missing else 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}


def allowed_networks(app: Flask) -> tuple:
    """LIANXIN_METRICS_ALLOW (comma-separated addresses or CIDRs; default loopback), parsed once."""
    networks = app.extensions.get("lianxin_metrics_allow")
    if networks is None:
        given = app.config.get("METRICS_ALLOW") or "127.0.0.1,::1"
        try:
            networks = tuple(ipaddress.ip_network(part.strip(), strict=False)
                             for part in given.split(",") if part.strip())
        except ValueError as error:
            raise ValueError(f"LIANXIN_METRICS_ALLOW: {error}") from None
        app.extensions["lianxin_metrics_allow"] = networks
    return networks


def _allowed() -> bool:
    """The client (as the app sees it, behind its trusted proxies) is in the allowed networks.
    A request that came through a proxy the app does not trust has no address to believe."""
    if request.headers.get("X-Forwarded-For") and not current_app.config.get("TRUSTED_PROXIES"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in allowed_networks(current_app))


@bp.route("/metrics")
@limiter.exempt
def prometheus():
    """Prometheus' text format, to the allowed addresses only (404 to everyone else)."""
    if not _allowed():
        abort(404)
    return metrics.exposition(), 200, {"Content-Type": PROMETHEUS_TEXT, "Cache-Control": "no-store"}
