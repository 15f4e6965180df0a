"""Meeting pages through the client: scope, the code page, scanning a code, ticking, closing."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.meetings import codes
from app.models import Attendance, LedgerEntry, Meeting
from tests.meetings_world import make_meeting_world, open_meeting


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return make_meeting_world()


def _png():
    from tests.test_ledger_views_household import _png as png

    return png()


def _ticket(response):
    return re.search(r'name="ticket" type="hidden" value="([^"]+)"', response.text).group(1)


def test_plan_open_and_show_the_code(client, auth, w):
    auth.login("committee")
    at = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/meetings/new", data={
        "village_id": w.home.id, "format": "forum", "topic": "环境整治", "starts_at": at,
        "place": "村部", "host1": "李书记", "level1": 4, "level2": 4, "level3": 4})
    meeting = db.session.scalar(sa.select(Meeting))
    assert response.status_code == 302 and meeting.topic == "环境整治"
    assert client.get(f"/meetings/{meeting.id}/code.svg").status_code == 404  # not open yet
    client.post(f"/meetings/{meeting.id}/open")
    page = client.get(f"/meetings/{meeting.id}/code")
    assert page.status_code == 200 and "meeting_code.js" in page.text
    svg = client.get(f"/meetings/{meeting.id}/code.svg")
    assert svg.mimetype == "image/svg+xml" and svg.headers["Cache-Control"] == "no-store"
    assert b"<svg" in svg.data


def test_scope_of_meeting_pages(client, auth, w):
    meeting_id = open_meeting(w)
    auth.login("committee2")
    assert client.get(f"/meetings/{meeting_id}").status_code == 404
    assert client.get(f"/meetings/{meeting_id}/code").status_code == 404
    auth.logout()
    auth.login("far")
    assert client.get(f"/meetings/{meeting_id}").status_code == 404
    assert "村道修缮夜谈会" not in client.get("/meetings").text
    auth.logout()
    auth.login("h1")
    assert "村道修缮夜谈会" in client.get("/meetings").text
    assert client.get(f"/meetings/{meeting_id}/code").status_code == 403
    auth.logout()
    auth.login("county")
    assert client.get(f"/meetings/{meeting_id}/code").status_code == 200


def test_scanning_checks_in_after_one_tap_once(client, auth, w):
    meeting_id = open_meeting(w)
    auth.login("h1")
    token = codes.make_token(meeting_id, datetime.now(UTC))
    page = client.get(f"/m/{token}")
    assert page.status_code == 200 and 'id="check-in-button"' in page.text
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0  # a GET writes nothing
    done = client.post(f"/m/{token}", data={"ticket": _ticket(page)})
    assert done.status_code == 200 and 'id="check-in-done"' in done.text
    again = client.post(f"/m/{token}", data={"ticket": _ticket(page)})
    assert again.status_code == 200
    assert "already checked in" in client.get(f"/m/{token}").text or \
        "已签到" in client.get(f"/m/{token}").text
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 1


@pytest.mark.parametrize("case", ["expired", "tampered", "other_village", "closed"])
def test_bad_codes_get_a_clear_message_and_no_check_in(client, auth, w, case):
    meeting_id = open_meeting(w)
    token = codes.make_token(meeting_id, datetime.now(UTC))
    user = "h1"
    if case == "expired":
        token = codes.make_token(meeting_id, datetime.now(UTC) - timedelta(seconds=90))
    elif case == "tampered":
        token = codes.make_token(meeting_id + 1, datetime.now(UTC)).split(".")[0] + "." + token.split(".")[1]
    elif case == "other_village":
        user = "far"
    else:
        from app.meetings import services
        services.close(w.committee, meeting_id)
    auth.login(user)
    page = client.get(f"/m/{token}")
    assert page.status_code == 422 and 'id="check-in-error"' in page.text
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_a_ticket_is_for_one_household(client, auth, w):
    meeting_id = open_meeting(w)
    auth.login("h1")
    page = client.get(f"/m/{codes.make_token(meeting_id, datetime.now(UTC))}")
    auth.logout()
    auth.login("h2")
    response = client.post("/m/x", data={"ticket": _ticket(page)})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_tick_and_close_award_points(client, auth, w):
    meeting_id = open_meeting(w)
    auth.login("committee")
    assert w.h1.number in client.get(f"/meetings/{meeting_id}/register").text
    client.post(f"/meetings/{meeting_id}/register", data={"household_id": [w.h1.id, w.h2.id]})
    client.post(f"/meetings/{meeting_id}/close", data={"minutes": "议定修路方案",
                                                       "photo": (_png(), "meeting.png")},
                content_type="multipart/form-data")
    assert db.session.get(Meeting, meeting_id).status == "closed"
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))
                             .where(LedgerEntry.ref_id == meeting_id)) == 2
    auth.logout()
    auth.login("h1")
    assert "议定修路方案" in client.get(f"/meetings/{meeting_id}").text
    photo = client.get(f"/meetings/{meeting_id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    auth.logout()
    auth.login("far")
    assert client.get(f"/meetings/{meeting_id}/photo").status_code == 404


def test_meetings_list_pages_newest_first(app, client, auth, w):
    from app.meetings import services

    app.config["PAGE_SIZE"] = 2
    start = datetime(2026, 1, 1, 11, tzinfo=UTC)
    for n in range(5):
        services.plan(w.committee, w.home.id, "group", f"第{n}次", start + timedelta(days=n))
    auth.login("h1")
    seen, url = [], "/meetings"
    while url:
        page = client.get(url).text
        seen += re.findall(r"第(\d)次", page)
        found = re.search(r'href="(/meetings\?after=[^"]+)"[^>]*>[^<]*</a>\s*</nav>', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == ["4", "3", "2", "1", "0"]


def test_the_desk_scanner_checks_households_in_and_speaks_plainly(app, client, auth, w):
    from app.shop import codes as pay_codes

    meeting_id = open_meeting(w)
    shown = pay_codes.issue(w.h1_user)
    far = pay_codes.issue(w.far_user)
    db.session.commit()
    auth.login("committee2")
    assert client.get(f"/meetings/{meeting_id}/scan-in").status_code == 404  # another village
    auth.logout()
    auth.login("committee")
    page = client.get(f"/meetings/{meeting_id}/scan-in")
    assert page.status_code == 200 and "data-scanner" in page.text
    assert "wasm-unsafe-eval" in page.headers["Content-Security-Policy"]
    done = client.post(f"/meetings/{meeting_id}/scan-in", data={"code": shown["number"]},
                       follow_redirects=True)
    assert f"{w.h1.head_name}（{w.h1.number}号）已签到" in done.text and "已签到：1 户" in done.text
    refused = client.post(f"/meetings/{meeting_id}/scan-in", data={"code": far["secret"]})
    assert refused.status_code == 422 and "此码属于其他村的农户" in refused.text
    unknown = client.post(f"/meetings/{meeting_id}/scan-in", data={"code": "P1" + "x" * 60})
    assert unknown.status_code == 409 and "此码无法使用" in unknown.text
    attendance = db.session.scalars(sa.select(Attendance)).all()
    assert [(a.household_id, a.method) for a in attendance] == [(w.h1.id, "card")]


def test_guessing_typed_numbers_at_the_desk_is_limited(app, client, auth, w):
    app.config["SHOP_TYPED_CODE_LIMIT"] = "3 per 10 minutes"
    meeting_id = open_meeting(w)
    auth.login("committee")
    statuses = [client.post(f"/meetings/{meeting_id}/scan-in",
                            data={"code": f"{n:012d}"}).status_code for n in range(5)]
    assert statuses[:3] == [409, 409, 409] and statuses[3:] == [429, 429]


def test_the_desk_says_what_is_wrong_with_an_empty_or_overlong_code(client, auth, w):
    meeting_id = open_meeting(w)
    auth.login("committee")
    for code in ["", "9" * 65]:
        page = client.post(f"/meetings/{meeting_id}/scan-in", data={"code": code})
        assert page.status_code == 422 and 'role="alert"' in page.text
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0
