"""Every request gets an id (a valid incoming X-Request-ID, as nginx's $request_id, or a new one),
sent back as X-Request-ID and shown on error pages, so a villager can read it to the helpdesk; and
leaves one JSON line on stderr (logger `lianxin.requests`) and its count and latency in the metrics.
"""
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request

from app.health import metrics

log = logging.getLogger("lianxin.requests")
_VALID_ID = re.compile(r"[A-Za-z0-9-]{1,64}\Z")
# Path parts that are secrets (a meeting's check-in token): logged as the route's pattern.
_SECRET_ARGS = frozenset({"token", "secret", "code"})


class _Stderr(logging.StreamHandler):
    """A handler writing to whatever sys.stderr is at the time (test runners replace it)."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def request_id() -> str:
    """This request's id: the incoming X-Request-ID when short and plain, else a new one."""
    environ = request.environ  # (not `g`: a test's app context outlives its requests)
    found = environ.get("lianxin.request_id")
    if found is None:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        found = environ["lianxin.request_id"] = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
    return found


def _logged_path() -> str:
    """The path without the query string, and without a secret in it."""
    args = request.view_args
    if args and request.url_rule is not None and not _SECRET_ARGS.isdisjoint(args):
        return request.url_rule.rule
    return request.path


def _user_id():
    """The signed-in account's id, if the request already knows it (never a query of its own)."""
    api_user_id = g.get("api_user_id")
    if api_user_id is not None:
        return api_user_id
    user = g.get("_login_user")
    return user.id if user is not None and user.is_authenticated else None


def init_app(app: Flask) -> None:
    """Register the first hook before every request and the last one after it."""
    if not log.handlers:
        log.addHandler(_Stderr())
        log.setLevel(logging.INFO)
        log.propagate = False
    log.disabled = False  # Alembic's logging.config.fileConfig (an in-process upgrade) disables it
    logging_on = app.config.get("REQUEST_LOG", True)

    def start():
        request.environ["lianxin.started"] = time.perf_counter()

    def finish(response):
        now = time.perf_counter()
        elapsed = now - request.environ.get("lianxin.started", now)
        response.headers["X-Request-ID"] = rid = request_id()
        endpoint = request.endpoint or "none"
        metrics.observe_request(endpoint, response.status_code, elapsed)
        if logging_on:
            log.info(json.dumps({
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"), "request_id": rid,
                "method": request.method, "path": _logged_path(), "endpoint": endpoint,
                "status": response.status_code, "duration_ms": round(elapsed * 1000, 2),
                "user_id": _user_id(), "client": request.remote_addr}, ensure_ascii=False))
        return response

    # First before every other hook (the rate limiter's too), last after all the others
    # (Flask runs after_request functions in reverse order of registration).
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request_funcs.setdefault(None, []).insert(0, finish)
    app.jinja_env.globals["request_id"] = request_id
