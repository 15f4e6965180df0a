"""Hostile input on every route: garbage in forms, ids and query strings never gives a 500."""
import re

import pytest
import sqlalchemy as sa

from app import demo
from app.extensions import db
from app.models import LedgerEntry

GARBAGE = ["", "0", "-1", "99999999999999999999", "1e309", "abc", "<script>alert(1)</script>",
           "' OR 1=1 --", "\x00", "中" * 300, "1,2,3", "NaN"]
FIELDS = ["username", "password", "q", "number", "head_name", "members", "grid_id", "rule_id",
          "household_ids", "household_number", "note", "reason", "answer", "description",
          "points", "limit_count", "limit_period", "category_id", "code", "name", "star2", "star3",
          "star4", "star5", "objection_days", "active", "idempotency_key", "target", "language",
          "next", "role", "scope_id", "token", "month", "status", "current", "new", "confirm"]
ROLES = ["committee", "household", "city", "admin", "shop", "gridleader"]


def _paths(app, method):
    """Every route of the app accepting `method`, with its <int:> parts filled in."""
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint != "static":
            yield rule


def _fill(rule, value):
    return re.sub(r"<(?:int:)?(\w+)>", str(value), rule.rule)


@pytest.mark.parametrize("role", ROLES)
def test_no_route_gives_a_500(app, client, role):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "100000 per minute"
    app.config["LOGIN_LIMIT_PER_USERNAME"] = "100000 per minute"
    app.config["PROPAGATE_EXCEPTIONS"] = False
    demo.load()
    entries_before = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))
    assert client.post("/login", data={"username": role,
                                       "password": demo.DEMO_PASSWORD}).status_code == 302
    failures = []
    # Each address once: a route without <parts> gives the same path for every value, and
    # sending it four times checked nothing more (a quarter of the suite's slowest test).
    urls = dict.fromkeys(
        _fill(rule, value) + query
        for rule in _paths(app, "GET")
        for value in ("1", "2147483647", "99999999999999999999", "abc")
        for query in ("", "?village=abc&region=-1&after=%25%25&q=%00&month=2026-13&status=x",
                      f"?village={value}&household={value}&kind=x",
                      # Keyset cursors of the wrong type for the page's sort key: [5], ["zzzz"]
                      "?after=WzVd&next=/x%0d%0aSet-Cookie:a=b", "?after=WyJ6enp6Il0",
                      "?after=WyJcdTAwMDAiXQ"))
    for url in urls:
        status = client.get(url).status_code
        if status >= 500:
            failures.append(("GET", url, status))
    for rule in _paths(app, "POST"):
        if rule.endpoint in ("auth.logout", "auth.login"):
            continue
        for i, value in enumerate(GARBAGE):
            data = {field: GARBAGE[(i + n) % len(GARBAGE)] for n, field in enumerate(FIELDS)}
            path = _fill(rule, 1 if i % 2 else value)
            status = client.post(path, data=data).status_code
            if status >= 500:
                failures.append(("POST", path, status))
    assert failures == []
    # Garbage never moves points.
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == entries_before
