"""Audit findings on accounts: sessions that can be ended (1), weak passwords (4), a fresh session
at sign-in (10), no self-reset without the current password (12), no hashing under the SQLite
write lock (14)."""
import re
import sqlite3
import time

import pytest

from app.accounts import services as accounts
from app.auth import services as auth_services
from app.errors import InvalidInput, NotAllowed
from app.extensions import db
from app.models import Role, User
from tests import factories

PAGE_OF = {"household": "/me", "committee": "/households/", "admin": "/accounts/"}


@pytest.fixture
def people(app):
    app.config["WTF_CSRF_ENABLED"] = False
    village = factories.village()
    household = factories.household(village)
    return {
        "household": factories.user("h1", Role.HOUSEHOLD, household_id=household.id),
        "committee": factories.user("com", Role.COMMITTEE, region_id=village.id),
        "admin": factories.user("root", Role.ADMIN),
        "village": village,
    }


def _signed_in(app, username, remember=False):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": factories.PASSWORD,
                                           "remember": "y" if remember else ""})
    assert response.status_code == 302
    return client


def _copy(app, client, name="session"):
    """A second browser holding a copy of one cookie of `client`."""
    thief = app.test_client()
    thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def _opens(client, path):
    return client.get(path).status_code == 200


@pytest.mark.parametrize("role", ["household", "committee", "admin"])
def test_a_copied_session_dies_at_logout(app, people, role):
    user = people[role]
    client = _signed_in(app, user.username)
    thief = _copy(app, client)
    assert _opens(thief, PAGE_OF[role])
    client.post("/logout")
    assert not _opens(thief, PAGE_OF[role])


def test_a_remember_cookie_dies_at_logout_and_password_change(app, people):
    client = _signed_in(app, "h1", remember=True)
    thief = _copy(app, client, "remember_token")
    assert _opens(thief, "/me")
    client.post("/logout")
    assert not _opens(thief, "/me")
    client = _signed_in(app, "h1", remember=True)
    thief = _copy(app, client, "remember_token")
    client.post("/password", data={"current": factories.PASSWORD, "new": "plum-blossom-river",
                                   "confirm": "plum-blossom-river"})
    assert not _opens(thief, "/me")
    assert _opens(client, "/me")  # the session that changed the password goes on


@pytest.mark.parametrize("change", ["password", "reset", "role", "disable"])
def test_account_changes_end_every_session(app, people, change):
    client = _signed_in(app, "com")
    assert _opens(client, "/households/")
    user, admin = people["committee"], people["admin"]
    if change == "password":
        auth_services.change_password(user, factories.PASSWORD, "plum-blossom-river")
    elif change == "reset":
        accounts.reset_password(user, "plum-blossom-river", actor=admin)
    elif change == "role":
        accounts.change_role(user, Role.COMMITTEE, people["village"].id, actor=admin)
    else:
        accounts.set_active(user, False, actor=admin)
        accounts.set_active(user, True, actor=admin)
    assert not _opens(client, "/households/")


def test_idle_sessions_end_staff_sooner_than_households(app, people, monkeypatch):
    staff, resident = _signed_in(app, "com"), _signed_in(app, "h1")
    now = time.time()
    monkeypatch.setattr("app.auth.sessions.time.time", lambda: now + 9 * 3600)
    assert not _opens(staff, "/households/")
    assert _opens(resident, "/me")
    monkeypatch.setattr("app.auth.sessions.time.time", lambda: now + 9 * 3600 + 31 * 86400)
    assert not _opens(resident, "/me")
    # Configurable: a village that wants households signed out after an hour can have it.
    app.config["IDLE_TIMEOUT_RESIDENT"] = app.config["IDLE_TIMEOUT_STAFF"] / 8
    resident = _signed_in(app, "h1")
    monkeypatch.setattr("app.auth.sessions.time.time", lambda: now + 10 * 86400 + 7200)
    assert not _opens(resident, "/me")


def test_sign_in_starts_a_new_session(app, people):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    planted = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "h1", "password": factories.PASSWORD,
                                "csrf_token": planted})
    assert _opens(client, "/me")
    # The token from before sign-in no longer works for a signed-in request.
    response = client.post("/logout", data={"csrf_token": planted})
    assert response.status_code == 400
    assert _opens(client, "/me")


@pytest.mark.parametrize("weak", ["12345678", "password", "adminadmin", "11111111", "qwerty123",
                                  "h1-house-pass"])
def test_weak_passwords_are_refused_everywhere(app, people, weak):
    user = people["household"]
    with pytest.raises(InvalidInput):
        auth_services.change_password(user, factories.PASSWORD, weak)
    with pytest.raises(InvalidInput):
        accounts.reset_password(user, weak, actor=people["committee"])
    with pytest.raises(InvalidInput):
        accounts.create_account("h1-house", weak, Role.HOUSEHOLD, user.household_id,
                                actor=people["committee"])
    db.session.rollback()
    assert user.check_password(factories.PASSWORD)


def test_a_password_set_by_someone_else_is_changed_at_next_sign_in(app, people):
    accounts.reset_password(people["household"], "plum-blossom-river", actor=people["committee"])
    client = app.test_client()
    response = client.post("/login", data={"username": "h1", "password": "plum-blossom-river"})
    assert response.headers["Location"] == "/password"
    assert client.get("/me").headers["Location"] == "/password"
    client.post("/password", data={"current": "plum-blossom-river", "new": "my-own-lotus-pond",
                                   "confirm": "my-own-lotus-pond"})
    assert _opens(client, "/me")


def test_reset_forms_use_password_fields(app, people):
    client = _signed_in(app, "root")
    page = client.get(f"/accounts/{people['household'].id}").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="password"[^>]*>', page).group(0)
    assert 'type="password"' in field and 'autocomplete="new-password"' in field


def test_an_admin_cannot_reset_its_own_password(app, people):
    admin = people["admin"]
    with pytest.raises(NotAllowed):
        accounts.reset_password(admin, "plum-blossom-river", actor=admin)
    client = _signed_in(app, "root")
    client.post(f"/accounts/{admin.id}/password", data={"password": "plum-blossom-river"})
    db.session.expire_all()
    assert db.session.get(User, admin.id).check_password(factories.PASSWORD)


def test_sign_in_hashes_without_holding_the_write_lock(app, people, backend, monkeypatch):
    if backend != "sqlite":
        pytest.skip("the write lock is SQLite's")
    path = db.engine.url.database
    seen = []
    from werkzeug.security import check_password_hash as real

    def hash_while_another_writer_tries(stored, password):
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append("free")
        except sqlite3.OperationalError:
            seen.append("locked")
        finally:
            other.close()
        return real(stored, password)

    for module in ("app.auth.services", "app.models.user"):
        monkeypatch.setattr(f"{module}.check_password_hash", hash_while_another_writer_tries,
                            raising=False)
    app.test_client().post("/login", data={"username": "h1", "password": factories.PASSWORD})
    assert seen == ["free"]
