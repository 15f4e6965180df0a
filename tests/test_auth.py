"""Signing in and out: wrong passwords, rate limits, `next`, POST-only logout, password hashing."""
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog, Role
from tests import factories


def _household_user(name="h1"):
    village = factories.village()
    household = factories.household(village)
    return factories.user(name, Role.HOUSEHOLD, household_id=household.id)


def test_login_page_has_the_contract_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page


def test_wrong_password_is_refused_and_audited(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_user()
    response = client.post("/login", data={"username": "h1", "password": "wrong-pass"})
    assert response.status_code == 200
    assert client.get("/me").status_code == 302  # still not signed in
    actions = db.session.scalars(sa.select(AuditLog.action)).all()
    assert "login_failed" in actions and "login" not in actions


def test_login_and_audit(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_user()
    response = auth.login("h1")
    assert response.status_code == 302
    assert client.get("/me").status_code == 200
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "login"))
    assert entry.target == "h1" and entry.address


def test_disabled_account_cannot_sign_in(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    user = _household_user()
    user.active = False
    db.session.commit()
    auth.login("h1")
    assert client.get("/me").status_code == 302


def test_rate_limit_per_username(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["LOGIN_LIMIT_PER_USERNAME"] = "3 per minute"
    _household_user()
    for _ in range(3):
        assert auth.login("h1", "wrong-pass").status_code == 200
    response = auth.login("h1")  # even the right password is refused now
    assert response.status_code == 429
    assert 'name="password"' in response.get_data(as_text=True)  # the form, with the message
    assert client.get("/me").status_code == 302
    # Another username from the same address is not blocked by the per-username limit.
    assert auth.login("someone-else", "x").status_code == 200


def test_rate_limit_per_address(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "4 per minute"
    for i in range(4):
        auth.login(f"user{i}", "wrong-pass")
    assert auth.login("user-new", "wrong-pass").status_code == 429


def test_next_must_stay_on_site(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_user()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client.post("/logout")
        response = client.post("/login", data={"username": "h1", "password": factories.PASSWORD,
                                               "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
    client.post("/logout")
    response = client.post("/login", data={"username": "h1", "password": factories.PASSWORD,
                                           "next": "/me"})
    assert response.headers["Location"] == "/me"


def test_logout_needs_post(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_user()
    auth.login("h1")
    assert client.get("/logout").status_code == 405
    assert client.get("/me").status_code == 200
    client.post("/logout")
    assert client.get("/me").status_code == 302


def test_logout_needs_csrf_token(app, client, auth):
    _household_user()
    app.config["WTF_CSRF_ENABLED"] = False
    auth.login("h1")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/logout").status_code == 400
    assert client.get("/me").status_code == 200


def test_production_hash_is_strong():
    from app.config import Config

    method = Config.PASSWORD_HASH_METHOD
    kind, *params = method.split(":")
    if kind == "scrypt":
        assert int(params[2]) >= 3 and int(params[0]) >= 2 ** 15
    else:
        assert kind == "pbkdf2" and int(params[1]) >= 600_000


def test_change_own_password(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_user()
    auth.login("h1")
    bad = client.post("/password", data={"current": "nope-nope", "new": "new-password-1",
                                         "confirm": "new-password-1"})
    assert bad.status_code == 200
    ok = client.post("/password", data={"current": factories.PASSWORD, "new": "new-password-1",
                                        "confirm": "new-password-1"})
    assert ok.status_code == 302
    client.post("/logout")
    assert auth.login("h1", "new-password-1").status_code == 302


def test_session_cookie_flags(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_user()
    response = auth.login("h1")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    assert app.config["SESSION_PROTECTION"] == "basic"


def test_usernames_are_case_insensitive(app, client, auth):
    import pytest

    from app.accounts.services import create_account
    from app.errors import Conflict

    app.config["WTF_CSRF_ENABLED"] = False
    village = factories.village()
    household = factories.household(village)
    user = create_account(" Wang.Li ", "long-password", Role.HOUSEHOLD, household.id)
    assert user.username == "wang.li"
    with pytest.raises(Conflict):
        create_account("WANG.LI", "long-password", Role.HOUSEHOLD, household.id)
    assert auth.login("Wang.Li", "long-password").status_code == 302
