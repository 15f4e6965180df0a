"""Sign-in limits count failures only: a village signs in from one address while one username's
wrong passwords are refused; a right password clears its username's count; web and API alike."""
import time

import pytest

from app.models import Role
from tests import factories

ADDRESS = {"REMOTE_ADDR": "203.0.113.9"}  # one carrier address for the whole village


def _households(count):
    village = factories.village()
    return [factories.user(f"hh{n:03d}", Role.HOUSEHOLD,
                           household_id=factories.household(village).id).username
            for n in range(count)]


def _web(app, username, password=factories.PASSWORD):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()  # each villager on a phone of their own
    return client.post("/login", data={"username": username, "password": password},
                       environ_base=ADDRESS).status_code


def _api(app, username, password=factories.PASSWORD):
    return app.test_client().post("/api/v1/tokens", json={"username": username, "password": password},
                                  environ_base=ADDRESS).status_code


@pytest.mark.parametrize("door, ok, wrong", [(_web, 302, 200), (_api, 201, 401)])
def test_a_village_behind_one_address_signs_in_while_one_username_is_refused(app, door, ok, wrong):
    assert app.config["LOGIN_LIMIT_PER_USERNAME"] == "10 per 15 minutes"  # the documented limits
    assert app.config["LOGIN_LIMIT_PER_ADDRESS"] == "100 per 15 minutes"
    *usernames, target = _households(151)
    started = time.monotonic()
    signed_in, guessed = [], []
    for n, username in enumerate(usernames):
        signed_in.append(door(app, username))
        if n % 13 == 0 and len(guessed) < 11:  # someone guesses hh150's password meanwhile
            guessed.append(door(app, target, "not-the-password"))
    assert time.monotonic() - started < 60
    assert signed_in == [ok] * 150
    assert guessed == [wrong] * 10 + [429]
    assert door(app, target) == 429  # the right password too, until the window passes


@pytest.mark.parametrize("door, ok, wrong", [(_web, 302, 200), (_api, 201, 401)])
def test_a_right_password_clears_the_usernames_failures(app, door, ok, wrong):
    _households(1)
    assert [door(app, "hh000", "typo") for _ in range(9)] == [wrong] * 9
    assert door(app, "hh000") == ok
    assert [door(app, "hh000", "typo") for _ in range(11)] == [wrong] * 10 + [429]


def test_the_address_ceiling_counts_failures_only(app):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "5 per minute"
    _households(8)
    assert [_web(app, f"hh{n:03d}") for n in range(8)] == [302] * 8  # successes: no count
    assert [_web(app, f"nobody{n}", "x") for n in range(6)] == [200] * 5 + [429]
    assert _api(app, "hh000") == 429  # the same count at the API's door


def test_web_and_api_count_the_same_usernames_failures(app):
    _households(1)
    assert [_web(app, "hh000", "typo") for _ in range(5)] == [200] * 5
    assert [_api(app, "hh000", "typo") for _ in range(5)] == [401] * 5
    assert _web(app, "hh000", "typo") == 429 and _api(app, "hh000") == 429


def _gunicorn_conf() -> dict:
    """gunicorn.conf.py's names (its hooks and checks)."""
    import runpy

    from tests.api_server import ROOT

    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


@pytest.mark.parametrize("uri", ["local://", "memory://", None])
def test_several_workers_on_per_process_storage_refuse_to_start(uri):
    check_worker_storage = _gunicorn_conf()["check_worker_storage"]
    with pytest.raises(SystemExit) as refused:
        check_worker_storage(2, uri, environ={})
    message = str(refused.value.code)
    assert "LIANXIN_PER_PROCESS_LIMITS=1" in message and "RATELIMIT_STORAGE_URI=redis://" in message
    check_worker_storage(2, uri, environ={"LIANXIN_PER_PROCESS_LIMITS": "1"})  # told: accepted
    check_worker_storage(1, uri, environ={})  # one worker counts everything itself


def test_several_workers_on_redis_start():
    check_worker_storage = _gunicorn_conf()["check_worker_storage"]
    check_worker_storage(4, "redis://127.0.0.1:6379/0", environ={})
