"""The JSON API as an outside client found it (issue 19, item 11): a document strict validators
accept, with servers, tags and the headers the API sends; entries in the order of the times a
reader sees; a malformed cursor named; 413 for a large body; Allow and Retry-After; and
notifications that reach the person's list."""
import json
from datetime import UTC, datetime, timedelta

from openapi_spec_validator import validate

from app import demo
from app.extensions import db
from app.jobs import registered, run_job
from app.ledger import services as ledger
from app.meetings import services as meetings
from tests import factories
from tests.ledger_world import make_world


def _token(client, username):
    response = client.post("/api/v1/tokens", json={"username": username, "password": factories.PASSWORD})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_the_document_passes_a_strict_validator_and_says_what_a_client_needs(app, client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)  # openapi-spec-validator: raises on the first error
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert op["tags"] and {t for t in op["tags"]} <= {t["name"] for t in document["tags"]}
            for parameter in op["parameters"]:
                assert parameter["schema"].get("default", "absent") is not None, (path, parameter)
            if "429" in op["responses"]:
                assert "Retry-After" in op["responses"]["429"]["headers"]
    assert document["servers"] == [{"url": "/", "description": "The server this document was read from"}]
    meetings_answer = document["paths"]["/api/v1/meetings"]["get"]["responses"]["200"]
    assert "Link" in meetings_answer["headers"]
    description = document["info"]["description"]
    assert "grid leader" in description and "--exclude-operation-id delete_current_token" in description
    assert "created_at" in description and "413" in description


def test_entries_are_ordered_and_paged_by_the_time_a_reader_sees(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_world()
    now = datetime.now(UTC).replace(microsecond=0)
    # Entries recorded with their own dates (an import, the demo) have ids out of time order.
    ledger.import_entries([dict(household_id=w.h1.id, village_id=w.home.id, points=10,
                                kind="award", rule_id=w.good.id, note=f"第{n}天",
                                actor_id=w.committee.id, created_at=now - timedelta(days=days))
                           for n, days in enumerate([3, 30, 1, 10, 2, 20])])
    db.session.commit()
    headers = _token(client, "h1")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"before": cursor} if cursor else {})}
        page = client.get(f"/api/v1/households/{w.h1.id}/entries", query_string=query,
                          headers=headers).json
        seen += page["entries"]
        cursor = page["next"]
        if cursor is None:
            break
    times = [e["created_at"] for e in seen]
    assert len(seen) == 6 and times == sorted(times, reverse=True)
    assert [e["note"] for e in seen] == ["第2天", "第4天", "第0天", "第3天", "第5天", "第1天"]
    # The household's own page lists them in the same order.
    client.post("/login", data={"username": "h1", "password": factories.PASSWORD})
    page = client.get("/ledger/me/history").text
    positions = [page.index(e["note"]) for e in seen]
    assert positions == sorted(positions)


def test_a_malformed_cursor_is_400_naming_before(app, client):
    w = make_world()
    headers = _token(client, "h1")
    for path in (f"/households/{w.h1.id}/entries", "/notifications", "/meetings"):
        # Not base64 JSON; ["x", 1]; [1, 2]; not the documented characters.
        for cursor in ("abc", "WyJ4IiwgMV0", "WzEsMl0", "%%%"):
            answer = client.get(f"/api/v1{path}", query_string={"before": cursor}, headers=headers)
            assert answer.status_code == 400, (path, cursor)
            assert answer.json["error"]["field"] == "before"


def test_a_large_body_is_413(app, client):
    make_world()
    headers = _token(client, "committee")
    for size in (70 * 1024, 2 * 1024 * 1024, 9 * 1024 * 1024):
        body = json.dumps({"household_ids": [1], "rule_id": 1, "note": "x" * size})
        answer = client.post("/api/v1/awards", data=body, headers=headers,
                             content_type="application/json")
        assert answer.status_code == 413, size
        assert answer.json["error"]["code"] == "too_large"


def test_405_names_the_allowed_methods_and_429_says_when_to_retry(app, client):
    make_world()
    answer = client.delete("/api/v1/me", headers=_token(client, "h1"))
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert answer.json["error"]["code"] == "method_not_allowed"
    # The API's own budget per token holder.
    app.config["API_LIMIT_PER_HOLDER"] = "2 per minute"
    headers = _token(client, "h2")
    statuses = [client.get("/api/v1/me", headers=headers) for _ in range(3)]
    assert [s.status_code for s in statuses] == [200, 200, 429]
    assert 1 <= int(statuses[-1].headers["Retry-After"]) <= 60
    # Flask-Limiter's limit on sign-ins per username.
    app.config["LOGIN_LIMIT_PER_USERNAME"] = "1 per hour"
    client.post("/api/v1/tokens", json={"username": "h1", "password": "wrong"})
    limited = client.post("/api/v1/tokens", json={"username": "h1", "password": "wrong"})
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 3601


def test_a_delivered_event_reaches_the_persons_list_on_the_page_and_through_the_api(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_world()
    meetings.plan(w.committee, w.home.id, "group", "修路夜谈会", datetime.now(UTC) + timedelta(days=2),
                  "村部", [("李书记", 4)])
    db.session.commit()
    headers = _token(client, "h1")
    assert client.get("/api/v1/notifications", headers=headers).json["notifications"] == []
    assert run_job(registered()["notifications"]) == ("ran", "1 event(s) delivered")
    listed = client.get("/api/v1/notifications", headers=headers).json["notifications"]
    assert [n["kind"] for n in listed] == ["meeting.planned"] and "修路夜谈会" in listed[0]["text"]
    client.post("/login", data={"username": "h1", "password": factories.PASSWORD})
    assert "修路夜谈会" in client.get("/notifications").text
    # Only the village's household accounts are told: a committee member is not a reader of it.
    assert client.get("/api/v1/notifications", headers=_token(client, "committee")).json[
        "notifications"] == []


def test_the_demo_accounts_have_notifications_after_the_jobs_run(app, client):
    """The outside client's finding: 69 events delivered and every list empty. The demo inserted
    its meetings and issues past the services, so nothing was emitted for its accounts, and the
    events the jobs emitted concerned households without accounts (app/demo/notices.py)."""
    app.config["WTF_CSRF_ENABLED"] = False
    demo.load()
    status, summary = run_job(registered()["notifications"])
    assert status == "ran" and not summary.startswith("0 ")
    for username, kinds in (("household", {"meeting.planned", "issue.changed"}),
                            ("household2", {"meeting.planned"}), ("unit", {"issue.assigned"}),
                            ("committee", {"issue.assigned"})):
        token = client.post("/api/v1/tokens", json={"username": username,
                                                    "password": demo.DEMO_PASSWORD}).json["token"]
        listed = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"}
                            ).json["notifications"]
        assert {n["kind"] for n in listed} == kinds, username
        client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD})
        assert listed[0]["text"] in client.get("/notifications").text
        client.post("/logout")
