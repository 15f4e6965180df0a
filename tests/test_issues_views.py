"""Issue pages through the client: raising, the flow, and who sees what."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.issues import services
from app.models import Issue
from tests import factories
from tests.meetings_world import make_meeting_world


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_meeting_world()
    w.issue = services.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "村口路灯不亮")
    w.far_issue = services.raise_issue(w.far_user, w.far.id, "issue", "water", "外村水管破裂")
    w.unit = factories.user("unit", "official", region_id=w._county.id, display_name="县水利局")
    return w


def test_household_raises_and_follows_its_issue(client, auth, w):
    auth.login("h2")
    response = client.post("/issues/new", data={
        "household_id": w.h2.id, "kind": "issue", "category": "safety",
        "description": "桥栏杆松动", "meeting_id": 0})
    issue = db.session.scalar(sa.select(Issue).where(Issue.description == "桥栏杆松动"))
    assert response.status_code == 302 and issue.household_id == w.h2.id
    assert "桥栏杆松动" in client.get("/issues/mine").text
    assert client.post("/issues/new", data={"household_id": w.h2.id, "kind": "issue",
                                            "category": "safety", "description": "",
                                            "meeting_id": 0}).status_code == 200


def test_the_flow_through_pages(client, auth, w):
    auth.login("committee")
    client.post(f"/issues/{w.issue.id}/assign", data={
        "responsible_user_id": w.unit.id, "responsible_unit": "",
        "deadline": (date.today() + timedelta(days=60)).isoformat(),
        "measures": "更换灯泡"})
    client.post(f"/issues/{w.issue.id}/resolve", data={"note": "已修好"})
    auth.logout()
    auth.login("h1")
    page = client.get(f"/issues/{w.issue.id}").text
    assert "县水利局" in page and "已修好" in page and "更换灯泡" in page
    client.post(f"/issues/{w.issue.id}/confirm", data={"satisfied": "yes", "reason": ""})
    assert db.session.get(Issue, w.issue.id).status == "confirmed"


def test_scope(client, auth, w):
    services.assign(w.committee, w.issue.id, w.unit.id, "", date(2026, 12, 31), "修")
    checks = {
        "h1": (200, 404), "h2": (404, 404), "committee": (200, 404), "committee2": (404, 200),
        "county": (200, 200), "cityofficial": (200, 200), "unit": (200, 200), "admin": (200, 200),
    }
    for username, (own, far) in checks.items():
        auth.login(username)
        assert client.get(f"/issues/{w.issue.id}").status_code == own, username
        assert client.get(f"/issues/{w.far_issue.id}").status_code == far, username
        auth.logout()
    # The unit's account lists what is assigned to it.
    auth.login("unit")
    assert "村口路灯不亮" in client.get("/issues/assigned").text
    assert "外村水管破裂" not in client.get("/issues/assigned").text


def test_public_issues_hide_the_raiser(client, auth, w):
    auth.login("h2")
    assert "村口路灯不亮" not in client.get("/issues").text
    services.publish(w.committee, w.issue.id, True)
    assert "村口路灯不亮" in client.get("/issues").text
    page = client.get(f"/issues/{w.issue.id}").text
    assert "村口路灯不亮" in page and w.h1.head_name not in page and w.h1.number not in page


def test_committee_sets_the_silence_days(client, auth, w):
    from app.models import IssueSettings

    auth.login("committee")
    assert client.get("/issues/settings").status_code == 200
    client.post("/issues/settings", data={"confirm_days": 14})
    assert db.session.get(IssueSettings, w.home.id).confirm_days == 14
    assert client.post("/issues/settings", data={"confirm_days": 0}).status_code == 200
    assert db.session.get(IssueSettings, w.home.id).confirm_days == 14
    auth.logout()
    auth.login("h1")
    assert client.get("/issues/settings").status_code == 403


def test_an_account_only_responsible_sees_exactly_what_is_assigned(client, auth, w):
    """Issue 9's scope rule: a responsible account outside the village's committee and the
    officials above it (assigned, then posted to another county) sees its issue, and nothing
    else of the village: no other issue, list, meeting or figures of it."""
    from app.regions.services import add_regions
    from app.models import RegionLevel

    (elsewhere,) = add_regions([("别县", RegionLevel.COUNTY, w._city)])
    services.assign(w.committee, w.issue.id, w.unit.id, "", date(2030, 1, 1), "换灯")
    w.unit.region_id = elsewhere.id  # posted away after the assignment
    other = services.raise_issue(w.h2_user, w.h2.id, "issue", "water", "同村另一件事")
    db.session.commit()
    auth.login("unit")
    assigned = client.get("/issues/assigned").text
    assert "村口路灯不亮" in assigned and "同村另一件事" not in assigned
    assert client.get(f"/issues/{w.issue.id}").status_code == 200
    assert client.get(f"/issues/{other.id}").status_code == 404
    assert client.get(f"/issues/{w.far_issue.id}").status_code == 404
    assert "同村另一件事" not in client.get("/issues").text
    assert client.get(f"/issues?village={w.home.id}").status_code == 404
    assert client.get(f"/figures?region={w.home.id}").status_code == 404
    assert client.post(f"/issues/{w.issue.id}/progress", data={"note": "已采购灯具"}).status_code == 302
    assert client.post(f"/issues/{other.id}/progress", data={"note": "越权"}).status_code == 404
