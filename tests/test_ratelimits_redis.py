"""Rate limits shared through a real Redis by every app instance (worker, node), the in-memory
fallback when Redis stops, and gunicorn refusing several workers on per-process counts."""
import logging
import shutil
import socket
import subprocess
import time

import pytest

from app import create_app
from app.extensions import db
from app.models import Role
from tests import factories
from tests.api_server import call, gunicorn

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class Redis:
    """A redis-server of the test's own, on a free loopback port, storing nothing on disk."""

    def __init__(self, folder, port=None):
        self.folder = folder
        if port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.port = port
        self.uri = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder),
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def start(self):
        """Start again on the same port (after stop())."""
        self.__init__(self.folder, self.port)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis(tmp_path):
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = Redis(folder)
    yield server
    server.stop()


def _household(username="hh000"):
    return factories.user(username, Role.HOUSEHOLD,
                          household_id=factories.household(factories.village()).id)


def _node(app, redis_uri):
    """Another app instance (as on another worker or machine) on the test's database and Redis."""
    return create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "INSTANCE_PATH": app.config["INSTANCE_PATH"], "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_STORAGE_URI": redis_uri})


def _sign_in(node, password=factories.PASSWORD, username="hh000"):
    return node.test_client().post("/login", data={"username": username, "password": password}).status_code


def test_two_app_instances_count_one_usernames_failures_together(app, redis):
    _household()
    first = _node(app, redis.uri)
    assert [_sign_in(first, "typo") for _ in range(6)] == [200] * 6
    second = _node(app, redis.uri)  # a fresh instance: its own connection, nothing in memory
    assert [_sign_in(second, "typo") for _ in range(4)] == [200] * 4
    assert _sign_in(second, "typo") == 429
    assert _sign_in(first) == 429


def test_redis_stopped_the_app_keeps_serving_on_per_process_counts_logged_once(app, redis, caplog):
    _household()
    node = _node(app, redis.uri)
    assert [_sign_in(node, "typo") for _ in range(3)] == [200] * 3
    client = node.test_client()
    token = client.post("/api/v1/tokens", json={"username": "hh000", "password": factories.PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json['token']}"}
    redis.stop()
    caplog.set_level(logging.WARNING)
    # API calls (counted per token holder), then sign-ins on both doors, go on as before.
    assert [client.get("/api/v1/me", headers=bearer).status_code for _ in range(3)] == [200] * 3
    assert _sign_in(node) == 302
    response = client.post("/api/v1/tokens", json={"username": "hh000", "password": factories.PASSWORD})
    assert response.status_code == 201
    # The limits hold on, counted in this process from the outage on.
    assert [_sign_in(node, "typo") for _ in range(11)] == [200] * 10 + [429]
    fallbacks = [r for r in caplog.records if "falling back to in-memory" in r.getMessage()]
    assert len(fallbacks) == 1 and fallbacks[0].levelno == logging.WARNING


def test_redis_stopping_in_the_middle_of_a_sign_in_is_no_server_error(app, redis, caplog, monkeypatch):
    from app.auth import throttle

    _household()
    node = _node(app, redis.uri)
    attempted = throttle.attempted

    def outage_meanwhile(ok):
        redis.stop()  # after the limits were checked, before the failure is counted
        attempted(ok)

    monkeypatch.setattr(throttle, "attempted", outage_meanwhile)
    caplog.set_level(logging.WARNING)
    assert _sign_in(node, "typo") == 200
    assert _sign_in(node) == 302
    assert len([r for r in caplog.records if "falling back" in r.getMessage()]) == 1


def test_when_redis_is_back_api_calls_count_there_again(app, redis, caplog, monkeypatch):
    from app import extensions

    _household()
    node = _node(app, redis.uri)
    client = node.test_client()
    node.config["API_LIMIT_PER_HOLDER"] = "4 per minute"
    token = client.post("/api/v1/tokens", json={"username": "hh000", "password": factories.PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json['token']}"}
    assert [client.get("/api/v1/me", headers=bearer).status_code for _ in range(2)] == [200, 200]
    redis.stop()
    caplog.set_level(logging.WARNING)
    assert client.get("/api/v1/me", headers=bearer).status_code == 200  # counted in memory: 1
    monkeypatch.setattr(extensions, "STORAGE_RECHECK_SECONDS", 0.0)
    redis.start()  # empty: the two calls counted before the outage are gone with it
    statuses = [client.get("/api/v1/me", headers=bearer).status_code for _ in range(5)]
    assert statuses == [200] * 4 + [429]  # counted in Redis again (memory held 1: 3 would pass)
    assert any("recovered" in r.getMessage() for r in caplog.records)


def test_two_gunicorn_workers_on_redis_limit_wrong_passwords_as_one(app, redis, tmp_path):
    _household()
    db.session.remove()
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2,
                  RATELIMIT_STORAGE_URI=redis.uri, LIANXIN_PER_PROCESS_LIMITS="") as base:
        statuses = [call(base, "POST", "/tokens", {"username": "hh000", "password": "typo"})[0]
                    for _ in range(11)]
    assert statuses == [401] * 10 + [429]  # on per-worker counts the 11th would pass


def test_gunicorn_refuses_several_workers_on_per_process_counts_unless_told(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with pytest.raises(RuntimeError, match="LIANXIN_PER_PROCESS_LIMITS=1"):
        with gunicorn(url, tmp_path, workers=2, RATELIMIT_STORAGE_URI="local://",
                      LIANXIN_PER_PROCESS_LIMITS=""):
            pass
    with gunicorn(url, tmp_path, workers=2, RATELIMIT_STORAGE_URI="local://",
                  LIANXIN_PER_PROCESS_LIMITS="1") as base:
        assert call(base, "GET", "/me")[0] == 401  # serving
