"""/healthz, /readyz, /metrics, request ids and the JSON request log, on both databases."""
import json
import os
import re
import shutil
import socket
import subprocess
import time

import pytest
import sqlalchemy as sa

from app.errors import InsufficientPoints
from app.extensions import db
from app.models import OutboxEvent
from app.models.outbox import JobRun
from app.models.base import utcnow
from app.shop import checkout, codes
from tests.shop_world import make_shop_world


def metric(client, name, **labels):
    """The value of one sample in /metrics (None when absent)."""
    text = client.get("/metrics").get_data(as_text=True)
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
                     if labels else "")
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        if sample == wanted:
            return float(value)
    return None


def test_healthz_answers_ok_without_a_session(client):
    response = client.get("/healthz")
    assert (response.status_code, response.data) == (200, b"ok")
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.data
    assert response.json == {"ready": True, "missing": []}


def test_readyz_names_a_schema_behind_the_migrations(app, client):
    (revision,) = db.session.scalars(sa.text("SELECT version_num FROM alembic_version"))
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'a0a0a0a0a0a0'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
    finally:
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
        db.session.commit()
    assert response.status_code == 503
    (problem,) = response.json["missing"]
    assert "a0a0a0a0a0a0" in problem and revision in problem


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readyz_checks_redis_when_the_limits_use_it(app, client):
    app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["missing"] == ["redis: not answering"]
    server = shutil.which("redis-server")
    if server is None:
        return
    port = _free_port()
    redis = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL)
    try:
        app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while (response := client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert response.status_code == 200, response.json
    finally:
        redis.terminate()
        redis.wait()


def test_metrics_only_from_allowed_addresses(app, client, monkeypatch):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 404
    # Through a proxy the app does not trust, the address is the proxy's: refused.
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    # The parsed list is kept on the (session-wide) app: monkeypatch puts the original back.
    monkeypatch.delitem(app.extensions, "lianxin_metrics_allow", raising=False)
    app.config["METRICS_ALLOW"] = "10.0.0.0/8, 203.0.113.9"
    assert client.get("/metrics", environ_base=outside).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed


def test_a_bad_metrics_allow_list_stops_the_start(app):
    from app import create_app

    with pytest.raises(ValueError, match="LIANXIN_METRICS_ALLOW"):
        create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                    "METRICS_ALLOW": "10.0.0.0/33"})


def test_requests_are_counted_by_endpoint_and_status(client):
    before = metric(client, "lianxin_http_requests_total", endpoint="main.healthz", status="200") or 0
    client.get("/healthz")
    client.get("/healthz")
    assert metric(client, "lianxin_http_requests_total", endpoint="main.healthz", status="200") == before + 2
    assert metric(client, "lianxin_http_request_duration_seconds_count", endpoint="main.healthz") >= 2
    client.get("/no-such-page")
    assert metric(client, "lianxin_http_requests_total", endpoint="none", status="404") >= 1


def test_sales_and_awards_count_once_committed(app, client):
    from app.ledger import services

    w = make_shop_world()
    sales = metric(client, "lianxin_sales_total")
    code = codes.issue(w.h1_user)
    checkout.sell(w.keeper, [(w.soap.id, 1)], "k-1", code=code["secret"])
    checkout.sell(w.keeper, [(w.soap.id, 1)], "k-1", code=code["secret"])  # a replay: no sale
    code = codes.issue(w.h2_user)
    with pytest.raises(InsufficientPoints):  # rolled back: not counted
        checkout.sell(w.keeper, [(w.soap.id, 1)], "k-2", code=code["secret"])
    assert metric(client, "lianxin_sales_total") == sales + 1

    awards = metric(client, "lianxin_award_entries_total", kind="award")
    services.award(w.committee, [w.h1.id, w.h2.id], w.rule.id)
    assert metric(client, "lianxin_award_entries_total", kind="award") == awards + 2


def test_check_ins_count_once_committed(app, client):
    from app.meetings import services as meetings
    from tests.meetings_world import make_meeting_world, open_meeting

    w = make_meeting_world()
    meeting_id = open_meeting(w)
    before = metric(client, "lianxin_check_ins_total")
    meetings.tick(w.committee, meeting_id, [w.h1.id, w.h2.id])
    meetings.tick(w.committee, meeting_id, [w.h1.id])  # already there: nothing added
    assert metric(client, "lianxin_check_ins_total") == before + 2


def test_outbox_backlog_and_job_runs_are_read_at_scrape_time(app, client):
    assert metric(client, "lianxin_outbox_backlog", state="waiting") == 0
    assert metric(client, "lianxin_database_up") == 1
    db.session.add_all([OutboxEvent(kind="x", payload={}), OutboxEvent(kind="x", payload={}),
                        OutboxEvent(kind="x", payload={}, attempts=5),
                        OutboxEvent(kind="x", payload={}, delivered_at=utcnow())])
    db.session.add_all([JobRun(name="ledger-verify", period="2026-12-01", status="done"),
                        JobRun(name="ledger-verify", period="2026-12-02", status="done"),
                        JobRun(name="ledger-verify", period="2026-12-03", status="failed")])
    db.session.commit()
    assert metric(client, "lianxin_outbox_backlog", state="waiting") == 2
    assert metric(client, "lianxin_outbox_backlog", state="given_up") == 1
    assert metric(client, "lianxin_job_runs_total", job="ledger-verify", status="done") == 2
    assert metric(client, "lianxin_job_runs_total", job="ledger-verify", status="failed") == 1


def test_backup_age_is_the_newest_complete_backup_file(app, client, tmp_path):
    assert metric(client, "lianxin_backup_age_seconds") is None  # no folder: absent
    folder = tmp_path / "backups"
    folder.mkdir()
    assert metric(client, "lianxin_backup_age_seconds") is None  # no file: absent
    old, new = folder / "lianxin-20261201T020000Z.lxbak", folder / "lianxin-20261202T020000Z.lxbak"
    for path, age in ((old, 90000), (new, 3600)):
        path.write_bytes(b"x")
        os.utime(path, (time.time() - age, time.time() - age))
    (folder / ".lianxin-20261203T020000Z.lxbak.tmp").write_bytes(b"half")  # being written
    assert 3600 <= metric(client, "lianxin_backup_age_seconds") < 3700
    app.config["BACKUP_DIR"] = str(tmp_path / "elsewhere")
    assert metric(client, "lianxin_backup_age_seconds") is None


def test_request_id_is_taken_or_made_and_sent_back(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id<script>"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    too_long = client.get("/healthz", headers={"X-Request-ID": "a" * 65}).headers["X-Request-ID"]
    assert too_long != "a" * 65


def test_error_pages_and_api_errors_show_the_request_id(client):
    page = client.get("/no-such-page", headers={"X-Request-ID": "help-42", "Accept-Language": "en"})
    assert page.status_code == 404
    assert "Reference for the helpdesk: help-42" in page.get_data(as_text=True)
    call = client.get("/api/v1/me", headers={"X-Request-ID": "help-43"})
    assert call.status_code == 401
    assert call.json["error"]["request_id"] == "help-43"


def test_one_json_log_line_per_request(client, capsys):
    capsys.readouterr()
    client.get("/healthz?password=hunter2", headers={"X-Request-ID": "log-1"})
    client.get("/m/SECRET-TOKEN-VALUE", headers={"X-Request-ID": "log-2"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    first = next(line for line in lines if line["request_id"] == "log-1")
    assert first["path"] == "/healthz" and first["method"] == "GET" and first["status"] == 200
    assert first["endpoint"] == "main.healthz" and first["client"] == "127.0.0.1"
    assert first["user_id"] is None and first["duration_ms"] >= 0 and first["time"].endswith("+00:00")
    second = next(line for line in lines if line["request_id"] == "log-2")
    assert "SECRET-TOKEN-VALUE" not in json.dumps(lines) and "hunter2" not in json.dumps(lines)
    assert second["path"] == "/m/<token>"


def test_the_log_names_the_signed_in_user(app, client, auth, capsys):
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_shop_world()
    auth.login("h1")
    capsys.readouterr()
    client.get("/me", headers={"X-Request-ID": "log-3"})
    line = next(json.loads(line) for line in capsys.readouterr().err.splitlines()
                if line.startswith("{") and '"log-3"' in line)
    assert line["user_id"] == w.h1_user.id and line["status"] == 200


def test_gunicorn_drops_a_dead_workers_live_metrics(tmp_path, monkeypatch):
    """gunicorn.conf.py's child_exit hook: the dead worker's live-gauge files go, its counters stay
    (they are still part of the totals)."""
    import runpy
    from types import SimpleNamespace

    from tests.api_server import ROOT

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("gauge_livesum_4242.db", "gauge_liveall_4242.db", "counter_4242.db", "gauge_livesum_7.db"):
        (tmp_path / name).write_bytes(b"")
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    hooks["child_exit"](None, SimpleNamespace(pid=4242))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db", "gauge_livesum_7.db"]


def test_a_server_error_logs_the_id_its_page_shows(app, caplog):
    from app import create_app

    # An app of its own: the session's shared app has served requests, so no route can be added.
    app = create_app({key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH",
                                                      "UPLOAD_FOLDER")})

    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    response = client.get("/boom-for-test", headers={"X-Request-ID": "oops-7", "Accept-Language": "en"})
    assert response.status_code == 500 and "oops-7" in response.get_data(as_text=True)
    assert any("oops-7" in record.getMessage() and record.exc_info for record in caplog.records)
