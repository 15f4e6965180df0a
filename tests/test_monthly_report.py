"""A village's monthly report: each sheet's numbers against values the test made, and who may
read it."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.ledger import rules, services as ledger
from app.models import Attendance, Issue, Meeting
from app.shop import checkout, codes
from app.shop.reports import reads as reports, statement
from tests import factories
from tests.shop_world import make_shop_world


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return make_shop_world()


def _month_key():
    return reports.today().strftime("%Y-%m")


def _sheets(response):
    book = load_workbook(io.BytesIO(response.data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_the_workbook_holds_the_months_figures(w, client, auth):
    month = reports.today().replace(day=1)
    start, end = statement.month_bounds(month)
    # Meetings: two this month (3 and 1 attendances), one last month that must not count.
    inside = start + timedelta(hours=20)
    meetings = []
    for topic, at in (("村道修缮", inside), ("垃圾分类", inside + timedelta(hours=1)),
                      ("上月会议", start - timedelta(days=3))):
        m = Meeting(village_id=w.home.id, format="group", topic=topic, starts_at=at, status="closed")
        db.session.add(m)
        meetings.append(m)
    db.session.flush()
    for meeting, households in ((meetings[0], (w.h1, w.h2)), (meetings[1], (w.h1,)),
                                (meetings[2], (w.h1, w.h2))):
        for h in households:
            db.session.add(Attendance(meeting_id=meeting.id, household_id=h.id, method="register"))
    extra = factories.household(w.home, head_name="三户")
    db.session.add(Attendance(meeting_id=meetings[0].id, household_id=extra.id, method="register"))
    # Issues: 2 raised this month (one resolved), one raised earlier now overdue, one elsewhere.
    today = reports.today()
    issue = dict(category="道路", description="x", household_id=w.h1.id)
    db.session.add_all([
        Issue(village_id=w.home.id, created_at=inside, **issue),
        Issue(village_id=w.home.id, created_at=inside, status="resolved", resolved_at=inside, **issue),
        Issue(village_id=w.home.id, created_at=start - timedelta(days=40),
              deadline=today - timedelta(days=1), **issue),
        Issue(village_id=w.other.id, created_at=inside, category="道路", description="x",
              household_id=w.far.id)])
    db.session.commit()
    # Points: make_shop_world awarded h1 100 under 乡风文明; a second category with a deduction.
    cat2 = rules.create_category(w.committee, w.home.id, "环境卫生")
    bad = rules.create_rule(w.committee, w.home.id, cat2.id, "D01", "乱扔垃圾", -20)
    good2 = rules.create_rule(w.committee, w.home.id, cat2.id, "A09", "清扫", 7)
    ledger.award(w.committee, [w.h2.id], bad.id, note="门前堆放")
    ledger.award(w.committee, [w.h1.id, w.h2.id], good2.id)
    ledger.award(w.other_committee, [w.far.id], w.other_rule.id)  # another village
    # The shop: one sale of two soaps.
    checkout.checkout(w.keeper, [(w.soap.id, 2)], "s-1", code=codes.issue(w.h1_user)["secret"])

    auth.login("committee")
    page = client.get(f"/reports/monthly?month={_month_key()}")
    assert page.status_code == 200 and "甲村" in page.text
    response = client.get(f"/reports/monthly.xlsx?village={w.home.id}&month={_month_key()}")
    assert response.status_code == 200
    sheets = _sheets(response)
    meetings_sheet, attendance, issues, points, shop, ranking = sheets.values()
    assert [row[2:] for row in meetings_sheet[1:]] == [["村道修缮", 3], ["垃圾分类", 1]]
    assert [row[1] for row in attendance[1:]] == [2, 4, 3, 2.0]  # meetings, attendances, households
    assert [row[1] for row in issues[1:]] == [2, 1, 1]
    by_category = {row[0]: row[1:] for row in points[1:]}
    assert by_category == {"乡风文明": [1, 100, 0, 0], "环境卫生": [2, 14, 1, -20]}
    soap = next(row for row in shop[1:] if row[1] == "肥皂")
    assert soap[2:] == [0, 50, 2, 48]
    totals = next(row for row in shop[1:] if row[3] is not None and row[2] == 1)
    assert totals[4] == 10  # 2 soaps at 5 points
    gained = {row[2]: (row[0], row[3]) for row in ranking[1:]}
    assert gained == {"一户": (1, 107), "三户": (2, 0), "二户": (3, -13)}
    assert list(sheets) == ["夜谈会", "参会情况", "问题诉求", "分类积分", "超市", "排名"]


def test_who_may_read_the_monthly_report(w, client, auth):
    factories.user("city", "official", region_id=w._city.id)
    auth.login("committee2")
    assert client.get(f"/reports/monthly.xlsx?village={w.home.id}").status_code == 404
    assert client.get(f"/reports/monthly?village={w.home.id}").status_code == 404
    assert client.get("/reports/monthly.xlsx").status_code == 200  # its own village
    auth.logout()
    auth.login("city")
    assert client.get(f"/reports/monthly.xlsx?village={w.home.id}").status_code == 200
    assert "甲村" in client.get("/reports/monthly").text  # the choice of villages
    assert client.get(f"/reports/monthly.xlsx?village={w._township.id}").status_code == 404
    auth.logout()
    for name in ("h1", "keeper"):
        auth.login(name)
        assert client.get(f"/reports/monthly.xlsx?village={w.home.id}").status_code in (403, 404)
        auth.logout()
    auth.login("committee")
    for bad in ("1066-01", "9999-12", "x", "2026-13"):
        assert client.get(f"/reports/monthly?month={bad}").status_code == 200
    assert client.get("/reports/monthly?village=99999999999999999999").status_code == 404
