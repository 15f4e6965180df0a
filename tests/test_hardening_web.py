"""Audit findings on requests: malformed cursors (7), CR/LF in `next` (8), headers (11), running
behind a proxy (5)."""
import pytest
import sqlalchemy as sa

from app import demo
from app.extensions import db
from app.models import User
from tests import factories

# [5], ["zzzz"], [null] and ["\u0000"]: well-formed cursors of the wrong type for the sort key.
BAD_CURSORS = ["WzVd", "WyJ6enp6Il0", "W251bGxd", "WyJcdTAwMDAiXQ", "WzEsMl0", "%25%25"]
LISTS = {"admin": ["/accounts/", "/accounts/audit", "/households/?village={v}",
                   "/regions/", "/ledger/entries?village={v}", "/notifications"],
         "committee": ["/households/", "/ledger/entries", "/ledger/claims", "/ledger/objections",
                       "/ledger/notice", "/notifications"],
         "household": ["/me", "/ledger/claims/mine", "/ledger/notice", "/notifications"]}


@pytest.mark.parametrize("role", sorted(LISTS))
def test_malformed_cursors_start_again(app, client, role):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    demo.load()
    client.post("/login", data={"username": role, "password": demo.DEMO_PASSWORD})
    village_id = db.session.scalar(sa.select(User.region_id).where(User.username == "committee"))
    failures = []
    for path in LISTS[role]:
        path = path.format(v=village_id)
        for cursor in BAD_CURSORS:
            for name in ("after", "before"):
                url = f"{path}{'&' if '?' in path else '?'}{name}={cursor}"
                status = client.get(url).status_code
                if status != 200:
                    failures.append((url, status))
    assert failures == []


@pytest.mark.parametrize("path", ["/login", "/language"])
def test_cr_lf_in_next_is_an_unsafe_target(app, client, path):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    factories.user("h1", "admin")
    data = {"username": "h1", "password": factories.PASSWORD, "language": "en",
            "next": "/me\r\nSet-Cookie: planted=1"}
    response = client.post(path, data=data)
    assert response.status_code == 302
    assert "\n" not in response.headers["Location"] and "planted" not in response.headers["Location"]
    assert client.get("/login?next=/x%0d%0aSet-Cookie:%20a=b").status_code in (200, 302)


def _bad_login(client, n, address):
    return client.post("/login", data={"username": f"nobody{n}", "password": "wrong-password"},
                       headers={"X-Forwarded-For": address}).status_code


def test_behind_a_trusted_proxy_each_client_has_its_own_limit_and_audit(app, client):
    from app.models import AuditLog

    app.config.update(WTF_CSRF_ENABLED=False, LOGIN_LIMIT_PER_ADDRESS="3 per minute",
                      TRUSTED_PROXIES=1)
    assert [_bad_login(client, n, "203.0.113.7") for n in range(4)] == [200, 200, 200, 429]
    assert _bad_login(client, 9, "198.51.100.2") == 200  # another villager behind the same proxy
    addresses = set(db.session.scalars(sa.select(AuditLog.address)))
    assert addresses == {"203.0.113.7", "198.51.100.2"}


def test_without_trusted_proxies_a_forwarded_address_is_ignored(app, client):
    app.config.update(WTF_CSRF_ENABLED=False, LOGIN_LIMIT_PER_ADDRESS="3 per minute")
    statuses = [_bad_login(client, n, f"203.0.113.{n}") for n in range(4)]
    assert statuses == [200, 200, 200, 429]  # choosing a new X-Forwarded-For does not help


def test_headers_of_personal_pages(app, client):
    app.config.update(WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=True)
    village = factories.village()
    factories.user("h1", "household", household_id=factories.household(village).id)
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    client.post("/login", data={"username": "h1", "password": factories.PASSWORD})
    response = client.get("/me")
    assert response.headers["Cache-Control"] == "no-store"
    assert "includeSubDomains" in response.headers["Strict-Transport-Security"]
    assert response.headers["Server"] == "lianxin"


def test_cookies_get_the_host_prefix_over_https(monkeypatch):
    import importlib

    import app.config as config

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    secure = importlib.reload(config).Config
    assert secure.SESSION_COOKIE_NAME == "__Host-session"
    assert secure.REMEMBER_COOKIE_NAME == "__Host-remember_token"
    monkeypatch.delenv("SESSION_COOKIE_SECURE")
    assert not hasattr(importlib.reload(config).Config, "REMEMBER_COOKIE_NAME")


def test_database_and_uploads_are_private(tmp_path):
    import os

    from app import create_app

    os.umask(0o022)
    instance = tmp_path / "instance"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'lianxin.db'}",
                      "INSTANCE_PATH": str(instance)})
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        db.session.commit()
        db.engine.dispose()
    assert instance.stat().st_mode & 0o777 == 0o700
    assert (instance / "lianxin.db").stat().st_mode & 0o777 == 0o600


def test_cursors_of_the_right_type_still_page(app):
    """The type check keeps every honest cursor of the sort keys the list pages use."""
    from app.models import AuditLog, Household, LedgerEntry, Region
    from app.pagination import decode_cursor, encode_cursor

    for column, good, bad in ((Region.path, "0001.0002", 5), (User.username, "wang", 7),
                              (Household.number, "0001", 1), (LedgerEntry.id, 42, "42"),
                              (AuditLog.id, 1, None)):
        assert decode_cursor(encode_cursor([good]), 1, [column]) == [good]
        assert decode_cursor(encode_cursor([bad]), 1, [column]) is None
