"""API sign-in, sign-out and revocation; errors as JSON in the caller's language; the document."""
import re
from datetime import timedelta

import sqlalchemy as sa

from app.accounts import services as accounts
from app.api.tokens import hash_token
from app.auth import services as auth
from app.extensions import db
from app.models import ApiToken, Role
from app.models.base import utcnow
from tests import factories


def _sign_in(client, username="alice", password=factories.PASSWORD, address="10.0.0.1"):
    return client.post("/api/v1/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _me(client, token, **headers):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}", **headers})


def _household_user(username="alice"):
    village = factories.village()
    return factories.user(username, Role.HOUSEHOLD, household_id=factories.household(village).id)


def test_sign_in_stores_only_a_hash_and_sign_out_revokes(app, client):
    user = _household_user()
    response = _sign_in(client)
    assert response.status_code == 201
    token = response.json["token"]
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert stored.user_id == user.id and stored.expires_at > utcnow() + timedelta(days=1)
    assert _me(client, token).json["username"] == "alice"
    assert client.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert _me(client, token).status_code == 401


def test_wrong_missing_expired_and_foreign_credentials_are_401(app, client):
    _household_user()
    wrong = _sign_in(client, password="nope")
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "wrong_credentials"
    assert client.get("/api/v1/me").status_code == 401
    assert _me(client, "made-up").json["error"]["code"] == "not_signed_in"
    token = _sign_in(client).json["token"]
    db.session.execute(sa.update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert _me(client, token).status_code == 401


def test_a_session_cookie_never_authenticates_an_api_call(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_user()
    assert auth.login("alice").status_code == 302
    assert client.get("/me").status_code == 200  # the page sees the session...
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401  # ...the API does not,
    assert "Set-Cookie" not in answer.headers  # and neither reads nor rewrites it
    assert client.get("/me").status_code == 200


def test_a_remember_me_cookie_never_authenticates_an_api_call(app, client):
    """A household's "keep me signed in" cookie alone (its session gone) signs in pages, never
    API calls, and an API call does not turn it into a session."""
    app.config["WTF_CSRF_ENABLED"] = False
    _household_user()
    assert client.post("/login", data={"username": "alice", "password": factories.PASSWORD,
                                       "remember": "y"}).status_code == 302
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401 and "Set-Cookie" not in answer.headers
    assert client.get("/api/v1/nothing-here").status_code == 404
    assert client.get("/me").status_code == 200  # the page still signs in from the cookie


def test_password_change_reset_and_deactivation_revoke_every_token(app, client):
    user = _household_user()
    admin = factories.user("root", Role.ADMIN)
    first, second = _sign_in(client).json["token"], _sign_in(client).json["token"]
    auth.change_password(user, factories.PASSWORD, "a-new-pass-123")
    assert _me(client, first).status_code == 401 and _me(client, second).status_code == 401
    token = _sign_in(client, password="a-new-pass-123").json["token"]
    accounts.reset_password(user, "another-pass-456", admin)
    assert _me(client, token).status_code == 401
    token = _sign_in(client, password="another-pass-456").json["token"]
    accounts.set_active(user, False, admin)
    assert _me(client, token).status_code == 401
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_sign_in_is_limited_per_username_not_per_address(app, client):
    app.config["LOGIN_LIMIT_PER_USERNAME"] = "3 per minute"
    _household_user()
    factories.user("bob", Role.ADMIN)
    statuses = [_sign_in(client, password="wrong", address=f"10.0.0.{n}").status_code
                for n in range(4)]
    assert statuses == [401, 401, 401, 429]  # failures counted, from whichever address
    # The same carrier address signs other people in as usual.
    assert _sign_in(client, username="bob", address="10.0.0.1").status_code == 201
    assert client.post("/api/v1/tokens", json={"username": "alice", "password": "x"}).json[
        "error"]["code"] == "too_many_requests"


def test_calls_are_limited_per_token_holder(app, client):
    app.config["API_LIMIT_PER_HOLDER"] = "2 per minute"
    _household_user()
    token = _sign_in(client).json["token"]
    assert [_me(client, token).status_code for _ in range(3)] == [200, 200, 429]


def test_bad_input_is_400_naming_the_field_in_the_callers_language(app, client):
    _household_user()
    cases = [
        ('{"username": "alice", "password": ', "body", "malformed_json"),
        ('{"username": "alice"}', "password", "invalid_request"),
        ('{"username": "alice", "password": "x", "admin": true}', "admin", "invalid_request"),
        ('{"username": 5, "password": "x"}', "username", "invalid_request"),
        ('{"username": "' + "a" * 5000 + '", "password": "x"}', "username", "invalid_request"),
        ('{"username": "a", "password": ' + "9" * 5000 + "}", "body", "malformed_json"),
        ("[1, 2]", "body", "invalid_request"),
    ]
    for body, field, code in cases:
        response = client.post("/api/v1/tokens", data=body, content_type="application/json",
                               headers={"Accept-Language": "en"})
        assert response.status_code == 400, body[:60]
        assert response.json["error"]["field"] == field and response.json["error"]["code"] == code
        assert field in response.json["error"]["message"]
    not_json = client.post("/api/v1/tokens", data={"username": "alice", "password": "x"})
    assert not_json.status_code == 400 and not_json.json["error"]["code"] == "malformed_json"
    english = client.get("/api/v1/me", headers={"Accept-Language": "en"}).json["error"]["message"]
    chinese = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"}).json["error"]["message"]
    traditional = client.get("/api/v1/me", headers={"Accept-Language": "zh-TW"}).json["error"]["message"]
    assert english == "Please sign in first." and chinese != english and traditional not in (english, chinese)
    assert re.search(r"[\u4e00-\u9fff]", chinese)


def test_html_pages_keep_html_errors_and_the_api_answers_json(app, client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    api = client.get("/api/v1/no-such-call")
    assert api.status_code == 404 and api.json["error"]["code"] == "not_found"
    assert client.put("/api/v1/me").json["error"]["code"] == "method_not_allowed"


def test_openapi_document_and_docs_page(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    for path in ("/api/v1/tokens", "/api/v1/me", "/api/v1/households/{household_id}/entries",
                 "/api/v1/awards", "/api/v1/entries/{entry_id}/reversal", "/api/v1/notifications"):
        assert path in doc["paths"]
    award = doc["paths"]["/api/v1/awards"]["post"]
    assert award["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("AwardIn")
    assert doc["components"]["schemas"]["AwardIn"]["additionalProperties"] is False
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text) and "cdn" not in page.text.lower()
    assert client.get("/static/js/api-docs.js").status_code == 200


def test_tokens_page_lists_and_revokes_own_tokens(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_user()
    other = factories.user("bob", Role.ADMIN)
    token = client.post("/api/v1/tokens", json={"username": "alice", "password": factories.PASSWORD},
                        headers={"User-Agent": "WeChat mini-program"}).json["token"]
    bobs = _sign_in(client, username="bob")
    auth.login("alice")
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "WeChat mini-program" in page.text
    mine = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    theirs = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == other.id))
    assert client.post(f"/account/tokens/{theirs.id}/revoke").status_code == 302
    assert _me(client, bobs.json["token"]).status_code == 200  # another's token is untouched
    client.post(f"/account/tokens/{mine.id}/revoke")
    assert _me(client, token).status_code == 401
