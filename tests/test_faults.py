"""Faults survived: the database out of reach or dropping connections mid-request (a clean 503 in
the user's language, then recovery with no restart), and a gunicorn worker killed with SIGKILL in
the middle of 50 concurrent sales (every sale made exactly once, nothing half-written)."""
import http.client
import os
import select
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.ledger import services
from app.models import Household, LedgerEntry
from app.models.shop import Product, Redemption, RedemptionLine
from app.shop import codes
from tests import factories
from tests.api_server import call, gunicorn
from tests.shop_world import make_shop_world


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.fixture
def down(app, backend, tmp_path):
    """A second app, configured like the first, whose database cannot be reached: PostgreSQL on a
    port where nothing listens, SQLite in a folder that does not exist."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'gone' / 'lianxin.db'}"
    else:
        url = f"postgresql+psycopg://root@127.0.0.1:{_closed_port()}/lianxin?connect_timeout=3"
    broken = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path / "down"),
                         "WTF_CSRF_ENABLED": False})
    return broken


def test_health_checks_say_the_database_is_down(down):
    client = down.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and b"ok" not in health.data
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json == {"ready": False, "missing": ["database: not answering"]}


def test_metrics_still_answer_with_the_database_down(down):
    response = down.test_client().get("/metrics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "lianxin_database_up 0.0" in text and "lianxin_http_requests_total" in text
    assert "lianxin_outbox_backlog" not in text


@pytest.mark.parametrize("language, words", [
    ("en", "The database is not answering just now. Nothing was saved."),
    ("zh-CN", "数据库暂时没有响应，本次操作没有保存。"),
    ("zh-TW", "資料庫暫時沒有回應，本次操作沒有儲存。"),
])
def test_a_page_gets_a_503_in_the_users_language(down, language, words):
    response = down.test_client().post("/login", data={"username": "household", "password": "x"},
                                       headers={"Accept-Language": language, "X-Request-ID": "ask-1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503, page[:500]
    assert words in page and "ask-1" in page and "Traceback" not in page
    assert response.headers["Retry-After"] == "30" and response.mimetype == "text/html"


def test_a_signed_in_page_gets_the_503_without_asking_the_database_again(app, down):
    """The account cannot be loaded; the error page and the hooks after it do not try again."""
    app.config["WTF_CSRF_ENABLED"] = False
    make_shop_world()
    working = app.test_client()
    assert working.post("/login", data={"username": "h1", "password": factories.PASSWORD}).status_code == 302
    broken = down.test_client()
    cookie = working.get_cookie("session")
    broken.set_cookie(cookie.key, cookie.value)
    response = broken.get("/me", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_an_api_call_gets_a_json_503(down):
    response = down.test_client().post("/api/v1/tokens", json={"username": "shop", "password": "x"},
                                       headers={"Accept-Language": "en", "X-Request-ID": "ask-2"})
    assert response.status_code == 503
    assert response.json == {"error": {
        "code": "unavailable", "request_id": "ask-2",
        "message": "The database is not answering just now. Nothing was saved. Please try again in a minute."}}
    call = down.test_client().get("/api/v1/me", headers={"Authorization": "Bearer abc"})
    assert call.status_code == 503 and call.json["error"]["code"] == "unavailable"


def _terminate_app_connections(url: str) -> int:
    """Drop every other connection to the test database, as a PostgreSQL restart would."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())
    finally:
        admin.dispose()


def test_connections_dropped_mid_request_give_a_503_then_the_app_recovers(app, backend):
    """Connections terminated while a request holds one: that request is a clean 503 (a page in
    the user's language, JSON for the API); the next ones work with no restart; a sale retried
    with its idempotency key is made once."""
    if backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    from flask import request_started

    from app import create_app
    from tests.conftest import _forget_previous_request

    # An app of its own, as a worker has: the session's shared app has served requests, so no
    # hook can be added to it; its context holds the test's session and the requests' alike.
    app = create_app({key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH",
                                                      "UPLOAD_FOLDER")})
    request_started.connect(_forget_previous_request, app)
    with app.app_context():
        client = app.test_client()
        app.config["WTF_CSRF_ENABLED"] = False
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        drop = threading.Event()

        @app.before_request
        def drop_connections_now():
            # The request holds its connection (the signed-in account was loaded already): drop it.
            if drop.is_set():
                drop.clear()
                db.session.execute(sa.text("SELECT 1"))
                assert _terminate_app_connections(url) >= 1

        w = make_shop_world()
        app.config["PAY_CODE_SECONDS"] = 600
        code = codes.issue(w.h1_user)["secret"]
        token = client.post("/api/v1/tokens", json={"username": "keeper", "password": factories.PASSWORD}).json["token"]
        assert client.post("/login", data={"username": "h1", "password": factories.PASSWORD}).status_code == 302

        drop.set()
        page = client.get("/me", headers={"Accept-Language": "en"})
        assert page.status_code == 503 and "Nothing was saved" in page.get_data(as_text=True)
        assert client.get("/me").status_code == 200  # recovered: a new connection, no restart

        sale = {"code": code, "items": [{"product_id": w.soap.id, "quantity": 2}], "idempotency_key": "drop-1"}
        bearer = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}
        drop.set()
        refused = client.post("/api/v1/redemptions", json=sale, headers=bearer)
        assert refused.status_code == 503
        assert refused.json["error"]["code"] == "unavailable"
        assert refused.json["error"]["message"].startswith("数据库暂时没有响应")
        first = client.post("/api/v1/redemptions", json=sale, headers=bearer)
        again = client.post("/api/v1/redemptions", json=sale, headers=bearer)
        assert first.status_code == again.status_code == 201, first.json
        assert first.json["id"] == again.json["id"]
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == 1
        assert db.session.get(Household, w.h1.id).balance == 90
        db.engine.dispose()


def test_connections_dropped_while_idle_in_the_pool_cost_no_request(app, backend):
    """PostgreSQL restarted between two requests (every pooled connection ended by the server):
    the next page and the next sale are served, not a 503, with no ping sent for it
    (app/database.py reads the idle socket)."""
    if backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    from flask import request_started

    from tests.conftest import _forget_previous_request

    app = create_app({key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH",
                                                      "UPLOAD_FOLDER")})
    request_started.connect(_forget_previous_request, app)
    assert not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping")
    with app.app_context():
        client = app.test_client()
        app.config["WTF_CSRF_ENABLED"] = False
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        w = make_shop_world()
        app.config["PAY_CODE_SECONDS"] = 600
        code = codes.issue(w.h1_user)["secret"]
        soap, household = w.soap.id, w.h1.id
        db.session.commit()
        token = client.post("/api/v1/tokens", json={"username": "keeper", "password": factories.PASSWORD}).json["token"]
        assert client.post("/login", data={"username": "h1", "password": factories.PASSWORD}).status_code == 302

        def restarted():
            # The requests share the test's app context: end its session, as a worker's
            # teardown does, so its connection goes back to the pool before the restart.
            db.session.remove()
            assert _terminate_app_connections(url) >= 1
            time.sleep(0.2)  # the server's goodbye reaches the idle sockets

        assert client.get("/me").status_code == 200
        restarted()
        assert client.get("/me").status_code == 200
        restarted()
        sale = {"code": code, "items": [{"product_id": soap, "quantity": 2}], "idempotency_key": "idle-1"}
        made = client.post("/api/v1/redemptions", json=sale, headers={"Authorization": f"Bearer {token}"})
        assert made.status_code == 201, made.json
        assert db.session.get(Household, household).balance == 90
        db.session.remove()
        db.engine.dispose()


def test_connections_ended_as_soon_as_opened_give_a_503_not_a_500(app, backend):
    """A server that ends every new connection at once (a restart under way, the terminator of
    the next test): the request is the clean 503, not the pool's "This connection is closed"
    (InvalidRequestError, a 500) after three new connections each failed the idle-socket test."""
    if backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    app = create_app({key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH",
                                                      "UPLOAD_FOLDER")})
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))  # the dialect's first connection, left alone
        db.session.remove()
        db.engine.dispose()

        def ended_at_once(dbapi_connection, _record):
            with admin.connect() as connection:
                connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                                   {"pid": dbapi_connection.info.backend_pid})
            poller = select.poll()
            poller.register(dbapi_connection.fileno(), select.POLLIN)
            assert poller.poll(5000), "the server's goodbye did not arrive"

        sa.event.listen(db.engine, "connect", ended_at_once)
        try:
            call = app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer abc"})
            assert call.status_code == 503, call.get_data(as_text=True)
            assert call.json["error"]["code"] == "unavailable"
        finally:
            sa.event.remove(db.engine, "connect", ended_at_once)
            db.session.remove()
            db.engine.dispose()
            admin.dispose()


def _ledger_clean(app) -> None:
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


def _until_done(send, attempts: int = 40):
    """Call `send()` until it answers 2xx; (first answer, last answer). A dropped connection
    counts as an answer of status 0, including one dropped in the middle of the answer's body
    (http.client's IncompleteRead is no OSError)."""
    answers = []
    for _ in range(attempts):
        try:
            answers.append(send())
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            answers.append((0, {"dropped": type(error).__name__}))
        if 200 <= answers[-1][0] < 300:
            break
        time.sleep(0.2)
    return answers[0], answers[-1]


def test_terminated_connections_during_concurrent_awards_lose_nothing(app, backend, tmp_path):
    """10 clients award points through gunicorn while every app connection is dropped again and
    again: each call is a receipt or a clean JSON 503, each retried award lands exactly once."""
    if backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    w = make_shop_world()
    household_id, rule_id = w.h1.id, w.rule.id
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    clients, each = 10, 5
    with gunicorn(url, tmp_path) as base:
        _, signed = call(base, "POST", "/tokens", {"username": "committee", "password": factories.PASSWORD})
        stop = threading.Event()

        def terminator():
            for _ in range(20):  # two seconds of a database that keeps dropping everyone
                if stop.is_set():
                    break
                _terminate_app_connections(url)
                time.sleep(0.1)

        def award(i):
            out = []
            for j in range(each):
                body = {"household_ids": [household_id], "rule_id": rule_id, "note": "fault",
                        "idempotency_key": f"fault-{i}-{j}"}
                out.append(_until_done(lambda: call(base, "POST", "/awards", body, signed["token"])))
            return out

        killer = threading.Thread(target=terminator)
        killer.start()
        results = [None] * clients
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, award(i))) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        killer.join()
        firsts = [first for result in results for first, _ in result]
        lasts = [last for result in results for _, last in result]
        # Every answer was a receipt or a clean 503 (a gunicorn worker never died of it).
        assert {status for status, _ in firsts} <= {201, 503}, firsts
        assert all(body["error"]["code"] == "unavailable" for status, body in firsts if status == 503)
        assert [status for status, _ in lasts] == [201] * clients * each
        print(f"first answers: {sum(s == 503 for s, _ in firsts)} of {len(firsts)} were 503")
        # Recovered without a restart.
        assert urllib.request.urlopen(base + "/readyz", timeout=10).status == 200
        log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log, log[-3000:]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.note == "fault")) == clients * each
    _ledger_clean(app)


def _workers(master: int) -> list[int]:
    """The pids of a gunicorn master's workers."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def _master_of(base: str) -> int:
    """The gunicorn master serving `base`: the process of this test whose command line binds its port."""
    bind = base.removeprefix("http://")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if bind.encode() in cmdline and ppid == os.getpid():
            return int(entry.name)
    raise AssertionError("gunicorn master not found")


def _metric(base: str, name: str) -> float:
    text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    return sum(float(line.rpartition(" ")[2]) for line in text.splitlines()
               if line.startswith(name + " ") or line.startswith(name + "{"))


SALES = 50


def _fifty_households(w):
    """50 more households of 甲村 with 100 points and a payment code each; their codes."""
    households = [factories.household(w.home, head_name=f"户{i}") for i in range(SALES)]
    users = [factories.user(f"buyer{i}", "household", household_id=h.id) for i, h in enumerate(households)]
    services.award(w.committee, [h.id for h in households], w.rule.id)
    return households, [codes.issue(user)["secret"] for user in users]


def test_a_worker_killed_during_fifty_sales_loses_nothing(app, backend, tmp_path):
    w = make_shop_world()
    app.config["PAY_CODE_SECONDS"] = 600
    households, secrets = _fifty_households(w)
    household_ids, soap_id = [h.id for h in households], w.soap.id
    stock_before = db.session.get(Product, soap_id).stock
    catalogue_item = [{"product_id": soap_id, "quantity": 1}]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    prometheus = tmp_path / "prometheus"
    prometheus.mkdir()
    with gunicorn(url, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(prometheus)) as base:
        master = _master_of(base)
        _, signed = call(base, "POST", "/tokens", {"username": "keeper", "password": factories.PASSWORD})
        answered, killed = [0], []
        barrier = threading.Barrier(SALES + 1)

        def sale(i):
            body = {"code": secrets[i], "items": catalogue_item, "idempotency_key": f"kill-{i}"}
            barrier.wait()
            result = _until_done(lambda: call(base, "POST", "/redemptions", body, signed["token"]))
            answered[0] += 1
            return result

        def kill_one_worker():
            barrier.wait()
            while answered[0] < 5:
                time.sleep(0.001)
            victim = _workers(master)[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

        results = [None] * SALES
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, sale(i))) for i in range(SALES)]
        threads.append(threading.Thread(target=kill_one_worker))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert killed, "no worker was killed"
        firsts = [first for first, _ in results]
        # Each client got a receipt, a clear JSON error, or saw its connection drop (its worker died).
        for status, body in firsts:
            assert status in (0, 201) or set(body) == {"error"}, (status, body)
        receipts = [last for _, last in results]
        assert [status for status, _ in receipts] == [201] * SALES, receipts
        assert sorted(body["household_id"] for _, body in receipts) == sorted(household_ids)
        assert all(body["points"] == 5 and body["balance_after"] == 95 for _, body in receipts)
        # The same keys again: the same sales, nothing more.
        replays = [call(base, "POST", "/redemptions", {"code": secrets[i], "items": catalogue_item,
                                                       "idempotency_key": f"kill-{i}"}, signed["token"])
                   for i in range(SALES)]
        assert [body["id"] for _, body in replays] == [body["id"] for _, body in receipts]
        # Every worker's counters are summed, the killed one's too (its sale may have died with it
        # between commit and count: at most one per killed worker missing).
        counted = _metric(base, "lianxin_sales_total")
        assert SALES - len(killed) <= counted <= SALES, counted
        assert killed[0] not in _workers(master)
        log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log, log[-3000:]
    print(f"{backend}: first answers {sorted(status for status, _ in firsts)}")
    db.session.expire_all()
    sales = list(db.session.scalars(sa.select(Redemption)))
    assert len(sales) == SALES
    assert db.session.scalar(sa.select(sa.func.count(RedemptionLine.id))) == SALES
    assert db.session.get(Product, soap_id).stock == stock_before - SALES
    entries = {e.id: e for e in db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == "redemption"))}
    assert sorted(entries) == sorted(sale.entry_id for sale in sales)
    assert all(entries[sale.entry_id].household_id == sale.household_id for sale in sales)
    assert all(db.session.get(Household, h).balance == 95 for h in household_ids)
    _ledger_clean(app)
