"""Dates that cannot be meant are refused with a message (issue 19, item 3): an issue's deadline
before today, a meeting more than a day in the past, any date more than YEARS_AHEAD years away."""
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import dates
from app.extensions import db
from app.issues import services
from app.models import Issue, Meeting
from tests.meetings_world import make_meeting_world


@pytest.fixture
def w(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    w = make_meeting_world()
    w.issue = services.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "村口路灯不亮")
    return w


def _assign(client, w, deadline: date):
    response = client.post(f"/issues/{w.issue.id}/assign", data={
        "responsible_user_id": 0, "responsible_unit": "村水管员", "deadline": deadline.isoformat(),
        "measures": "更换灯泡"}, follow_redirects=True)
    db.session.expire_all()
    return response.text, db.session.get(Issue, w.issue.id).deadline


def test_issue_deadline_before_today_or_years_away_is_refused(client, auth, w):
    auth.login("committee")
    today = dates.local_now().date()
    page, stored = _assign(client, w, today - timedelta(days=1))
    assert stored is None and "日期早于今天" in page
    page, stored = _assign(client, w, today.replace(year=today.year + dates.YEARS_AHEAD + 1))
    assert stored is None and "5 年以上" in page
    page, stored = _assign(client, w, date(1900, 1, 1))
    assert stored is None
    page, stored = _assign(client, w, today)
    assert stored == today


def _plan(client, w, at: datetime):
    before = db.session.scalar(sa.select(sa.func.count(Meeting.id)))
    response = client.post("/meetings/new", data={
        "village_id": w.home.id, "format": "forum", "topic": "环境整治",
        "starts_at": at.strftime("%Y-%m-%dT%H:%M"), "place": "村部", "host1": "李书记",
        "level1": 4, "level2": 4, "level3": 4}, follow_redirects=True)
    return response.text, db.session.scalar(sa.select(sa.func.count(Meeting.id))) - before


def test_meeting_in_the_past_beyond_a_day_or_years_away_is_refused(client, auth, w):
    auth.login("committee")
    now = dates.local_now()
    page, added = _plan(client, w, now - timedelta(days=2))
    assert added == 0 and "一天以前" in page
    page, added = _plan(client, w, now.replace(year=now.year + dates.YEARS_AHEAD + 1))
    assert added == 0 and "5 年以上" in page
    # Recorded the evening after, or planned for next week: kept.
    assert _plan(client, w, now - timedelta(hours=20))[1] == 1
    assert _plan(client, w, now + timedelta(days=7))[1] == 1


def test_the_window_in_one_place(app):
    now = datetime(2028, 2, 29, 12, 0)
    assert dates.latest(now.date()) == date(2033, 2, 28)
    assert dates.problem(date(2033, 2, 28), now=now) is None
    assert dates.problem(date(2033, 3, 1), now=now) is not None
    assert dates.problem(date(2028, 2, 28), past=timedelta(0), now=now) is not None
    assert dates.problem(now - timedelta(hours=23), past=timedelta(days=1), now=now) is None
    assert dates.problem(now - timedelta(hours=25), past=timedelta(days=1), now=now) is not None


def test_month_pickers_years_away_show_this_month(app):
    from app.errors import InvalidInput
    from app.ledger.notice import month_range
    from app.shop.reports import reads as reports
    from app.shop.reports.statement import parse_month

    this_month = reports.today().replace(day=1)
    far = this_month.year + dates.YEARS_AHEAD + 1
    with pytest.raises(InvalidInput):
        month_range(f"{far}-01")  # the notice board says so and shows this month
    assert month_range(f"{this_month:%Y-%m}")[0].date() == this_month
    assert parse_month(f"{far}-01") == this_month and parse_month("1066-10") == this_month
    assert parse_month(f"{this_month.year + 1}-01") == date(this_month.year + 1, 1, 1)
    assert reports.parse_day(f"{far}-01-01") == reports.today() == reports.parse_day("0001-01-01")
    assert reports.parse_day(f"{this_month.year - 1}-03-04") == date(this_month.year - 1, 3, 4)


def test_the_inputs_offer_only_the_window(client, auth, w):
    import re

    auth.login("committee")
    today = dates.local_now().date()
    detail = client.get(f"/issues/{w.issue.id}").text
    deadline = re.search(r'<input[^>]*name="deadline"[^>]*>', detail).group(0)
    assert f'min="{today.isoformat()}"' in deadline and f'max="{dates.latest(today).isoformat()}"' in deadline
    plan = client.get("/meetings/new").text
    starts = re.search(r'<input[^>]*name="starts_at"[^>]*>', plan).group(0)
    assert 'min="' in starts and f'max="{dates.latest(today).isoformat()}T23:59"' in starts
