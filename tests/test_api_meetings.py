"""Meetings, check-ins and issues through the API as each demo account."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.issues import services as issue_services
from app.meetings import codes
from app.models import Attendance, Issue, Meeting, User
from app.models.base import utcnow
from tests import api_world


@pytest.fixture
def world(app, client):
    made = api_world.load(app, client)
    made.ids["open_meeting"] = db.session.scalar(sa.select(Meeting.id).where(
        Meeting.village_id == made.ids["home"], Meeting.status == "open"))
    made.ids["away_meeting"] = db.session.scalar(sa.select(Meeting.id).where(
        Meeting.village_id == made.ids["away"]).limit(1))
    return made


def test_meetings_of_the_accounts_own_village(world):
    home = world.get("household", "/meetings", query_string={"limit": 100}).json
    assert home and set(home[0]) == {"id", "format", "topic", "starts_at", "place", "status", "attended"}
    ids = {m["id"] for m in home}
    assert world.ids["open_meeting"] in ids and world.ids["away_meeting"] not in ids
    assert all(isinstance(m["attended"], bool) for m in home)
    village_ids = set(db.session.scalars(sa.select(Meeting.village_id).where(Meeting.id.in_(ids))))
    assert village_ids == {world.ids["home"]}
    committee = world.get("committee", "/meetings", query_string={"limit": 100}).json
    assert {m["id"] for m in committee} == ids and all(m["attended"] is None for m in committee)
    assert world.ids["open_meeting"] not in {m["id"] for m in world.get("outsider", "/meetings").json}
    opened = world.get("household", "/meetings?status=open").json
    assert [m["id"] for m in opened] == [world.ids["open_meeting"]]
    assert world.get("household", "/meetings?status=cancelled").status_code == 400
    assert world.get("shop", "/meetings").status_code == 403


def test_meetings_page_through_the_link_header(world):
    first = world.get("household", "/meetings", query_string={"limit": 2})
    assert len(first.json) == 2 and 'rel="next"' in first.headers["Link"]
    url = first.headers["Link"].split(">")[0].lstrip("<").replace("http://localhost", "")
    second = world.client.get(url, headers=world.headers("household"))
    assert second.status_code == 200 and {m["id"] for m in second.json}.isdisjoint(
        {m["id"] for m in first.json})


def test_check_in_once_with_the_meetings_code(world):
    meeting = world.ids["open_meeting"]
    token = codes.make_token(meeting, utcnow())
    url = f"http://localhost/m/{token}"
    first = world.post("household", "/check-ins", {"code": url})
    assert first.status_code == 201 and first.json == {"meeting_id": meeting}
    again = world.post("household", "/check-ins", {"code": token})
    assert again.status_code == 200 and again.json == {"meeting_id": meeting}
    household = db.session.scalar(sa.select(User).where(User.username == "household")).household_id
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id)).where(
        Attendance.meeting_id == meeting, Attendance.household_id == household)) == 1
    assert world.post("outsider", "/check-ins", {"code": token}).status_code == 422
    assert world.post("household2", "/check-ins", {"code": token + "x"}).status_code == 422
    from datetime import timedelta
    stale = codes.make_token(meeting, utcnow() - timedelta(minutes=5))
    expired = world.post("household2", "/check-ins", {"code": stale})
    assert expired.status_code == 422 and expired.json["error"]["code"] == "check_in_code_expired"
    for username in ("committee", "shop", "city"):
        assert world.post(username, "/check-ins", {"code": token}).status_code in (403, 422)


def test_issues_raised_read_and_confirmed_by_the_right_accounts(world):
    made = world.post("household", "/issues", {"category": "roads", "description": "路灯坏了"})
    assert made.status_code == 201 and made.json["status"] == "registered"
    issue_id = made.json["id"]
    assert world.post("household", "/issues", {"category": "moon", "description": "x"}).status_code == 400
    for username in ("committee", "shop", "city", "admin"):
        assert world.post(username, "/issues", {"category": "roads", "description": "x"}).status_code == 403
    for username, status in [("household", 200), ("committee", 200), ("city", 200), ("admin", 200),
                             ("household2", 404), ("outsider", 404), ("shop", 404)]:
        assert world.get(username, f"/issues/{issue_id}").status_code == status, username
    issue = world.get("household", f"/issues/{issue_id}").json
    assert set(issue) == {"id", "status", "category", "description", "responsible", "deadline",
                          "overdue_days", "timeline"}
    assert issue["timeline"][0]["status"] == "registered" and issue["responsible"] is None
    # Not resolved yet: the raiser's confirmation is a conflict; others may not confirm at all.
    assert world.post("household", f"/issues/{issue_id}/confirmation", {"satisfied": True}).status_code == 409
    assert world.post("committee", f"/issues/{issue_id}/confirmation", {"satisfied": True}).status_code == 403
    assert world.post("household2", f"/issues/{issue_id}/confirmation", {"satisfied": True}).status_code == 404
    committee = db.session.scalar(sa.select(User).where(User.username == "committee"))
    from datetime import date, timedelta
    issue_services.assign(committee, issue_id, None, "村委会", date.today() + timedelta(days=7), "修路灯")
    issue_services.resolve(committee, issue_id, "已修好")
    assert world.get("household", f"/issues/{issue_id}").json["responsible"] == "村委会"
    reopened = world.post("household", f"/issues/{issue_id}/confirmation", {"satisfied": False, "reason": "还是黑"})
    assert reopened.status_code == 200 and reopened.json["status"] == "handling"
    issue_services.resolve(committee, issue_id, "换了灯泡")
    done = world.post("household", f"/issues/{issue_id}/confirmation", {"satisfied": True})
    assert done.status_code == 200 and done.json["status"] == "confirmed"
    assert [step["status"] for step in done.json["timeline"]][-1] == "confirmed"
    assert db.session.get(Issue, issue_id).status == "confirmed"


def test_the_document_offers_no_null_query_value(world, client):
    # A query string cannot carry null; a document that offers one leads clients (and the fuzzer)
    # to send `?status=`, which is refused.
    assert world.get("household", "/meetings?status=").status_code == 400
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert "anyOf" not in parameter["schema"], (path, parameter)
