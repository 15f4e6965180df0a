"""Races through HTTP: gunicorn with 4 sync worker processes, 20 shop-keeper sessions at once.

Each test's database (file SQLite or PostgreSQL) is served by a real gunicorn; the sessions are
released together by a barrier. Exactly one sale per code and per request key, no overdraft,
and `ledger verify` clean afterwards.
"""
import http.cookiejar
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.ledger import reads
from app.models import Household
from app.models.shop import Product, Redemption
from app.shop import codes
from tests.api_server import gunicorn
from tests.shop_world import make_shop_world

THREADS = 20
GUNICORN = Path(sys.executable).parent / "gunicorn"
ROOT = Path(__file__).resolve().parent.parent


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Session:
    """One signed-in browser of the shop keeper: its own cookies and connections."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _Stay())

    def send(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            response = self.opener.open(self.base + path, body, timeout=60)
            return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()

    def token(self, path):
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.send(path)[2]).group(1)

    def sign_in(self, username):
        self.send("/login", {"csrf_token": self.token("/login"), "username": username,
                             "password": "secret-pass"})


@pytest.fixture
def server(app, tmp_path):
    """The test's database, and a gunicorn with 4 workers serving it."""
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed")
    world = make_shop_world()
    db.session.commit()
    # tests/api_server.py's gunicorn: started from one import of the app, stopped at once.
    # Sync workers, the model before gthread (tests/test_api_gunicorn.py races threaded ones).
    with gunicorn(str(app.config["SQLALCHEMY_DATABASE_URI"]), tmp_path, workers=4, threads=1,
                  SECRET_KEY=app.config["SECRET_KEY"], LOGIN_LIMIT_PER_USERNAME="10000 per minute",
                  LOGIN_LIMIT_PER_ADDRESS="10000 per minute") as base:
        db.session.rollback()  # the test's own session must not hold SQLite's write lock
        yield base, world


def _sessions(base):
    made = [Session(base) for _ in range(THREADS)]
    for session in made:
        session.sign_in("keeper")
    return made


def _at_once(sessions, work):
    # Reading in the test's own session began a transaction; on SQLite it holds the write lock.
    db.session.rollback()
    barrier = threading.Barrier(len(sessions))
    results = [None] * len(sessions)

    def run(i):
        barrier.wait(timeout=60)
        results[i] = work(i, sessions[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _checkout(session, code_id, key, product_id, quantity=1):
    path = f"/shop/basket/{code_id}/checkout"
    return session.send(path, {"csrf_token": session.token("/shop/scan"), "idempotency_key": key,
                               f"qty-{product_id}": str(quantity)})


def _code_id(session, secret):
    db.session.rollback()
    status, location, _body = session.send("/shop/scan", {"csrf_token": session.token("/shop/scan"),
                                                          "code": secret})
    assert status == 302, status
    return int(location.rstrip("/").rsplit("/", 1)[1])


def _facts(world):
    db.session.expire_all()
    return (db.session.get(Household, world.h1.id).balance,
            db.session.scalar(sa.select(sa.func.count(Redemption.id))), reads.verify())


def test_one_code_checked_out_by_twenty_sessions_pays_once(server):
    base, world = server
    sessions = _sessions(base)
    code_id = _code_id(sessions[0], codes.issue(world.h1_user)["secret"])
    db.session.commit()
    soap = world.soap.id
    results = _at_once(sessions, lambda i, s: _checkout(s, code_id, f"key-{i}", soap))
    receipts = [r for r in results if r[0] == 302 and "/shop/redemptions/" in r[1]]
    assert len(receipts) == 1 and all(r[0] < 500 for r in results), results
    assert _facts(world) == (95, 1, [])


def test_one_request_key_sent_by_twenty_sessions_makes_one_sale(server):
    base, world = server
    sessions = _sessions(base)
    code_id = _code_id(sessions[0], codes.issue(world.h1_user)["secret"])
    db.session.commit()
    oil = world.oil.id
    results = _at_once(sessions, lambda i, s: _checkout(s, code_id, "double-tap", oil))
    assert {r[1] for r in results if r[0] == 302} == {results[0][1]}, results
    assert "/shop/redemptions/" in results[0][1]
    assert _facts(world) == (60, 1, [])


def test_codes_of_one_household_beyond_its_balance_never_overdraw(server):
    base, world = server
    sessions = _sessions(base)
    secrets_ = [codes.issue(world.h1_user)["secret"] for _ in range(THREADS)]
    db.session.commit()
    code_ids = [_code_id(s, secret) for s, secret in zip(sessions, secrets_)]
    rice = world.rice.id
    results = _at_once(sessions, lambda i, s: _checkout(s, code_ids[i], f"k-{i}", rice))
    assert sum(1 for r in results if "/shop/redemptions/" in r[1]) == 2, results
    assert _facts(world) == (0, 2, [])
    assert db.session.get(Product, world.rice.id).stock == 8
