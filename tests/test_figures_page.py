"""The officials' figures agree with counts computed here from the data the test made."""
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.figures import reads as figures
from app.issues import services as issues
from app.meetings import services as meetings
from tests import factories
from tests.meetings_world import make_meeting_world

NOW = datetime.now(UTC)


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_meeting_world()
    w.h4 = factories.household(w.home, head_name="四户")  # never comes
    # 甲村: two meetings held (group, forum), one planned; 乙村: one home visit.
    first = meetings.plan(w.committee, w.home.id, "group", "一", NOW - timedelta(days=10),
                          hosts=[("李书记", 4), ("王镇长", 3)])
    second = meetings.plan(w.county_official, w.home.id, "forum", "二", NOW - timedelta(days=5),
                           hosts=[("李书记", 4), ("赵县长", 2)])
    meetings.plan(w.committee, w.home.id, "online", "计划中", NOW + timedelta(days=5))
    far = meetings.plan(w.other_committee, w.other.id, "home_visit", "外村", NOW - timedelta(days=3),
                        hosts=[("王镇长", 3), ("外村书记", 4)])
    for m in (first, second, far):
        meetings.open_meeting(w.admin, m.id)
    meetings.tick(w.committee, first.id, [w.h1.id, w.h2.id])
    meetings.tick(w.committee, second.id, [w.h1.id])
    meetings.tick(w.other_committee, far.id, [w.far.id])
    for m in (first, second):
        meetings.close(w.committee, m.id)
    meetings.close(w.other_committee, far.id)
    # Issues of 甲村: one resolved on time and confirmed, one resolved late and reopened then
    # resolved, one overdue, one suggestion; 乙村: one registered.
    a = issues.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "甲")
    issues.assign(w.committee, a.id, None, "单位", date.today() + timedelta(days=3), "修")
    issues.resolve(w.committee, a.id, "好了")
    issues.confirm(w.h1_user, a.id, True)
    b = issues.raise_issue(w.h2_user, w.h2.id, "issue", "water", "乙")
    issues.assign(w.committee, b.id, None, "单位", date.today() - timedelta(days=1), "修")
    issues.resolve(w.committee, b.id, "好了")
    issues.confirm(w.h2_user, b.id, False, "没好")
    c = issues.raise_issue(w.h1_user, w.h1.id, "issue", "safety", "丙")
    issues.assign(w.committee, c.id, None, "单位", date.today() - timedelta(days=2), "修")
    issues.raise_issue(w.h1_user, w.h1.id, "suggestion", "other", "建议")
    issues.raise_issue(w.far_user, w.far.id, "issue", "roads", "外村问题")
    return w


def test_figures_agree_with_the_data(w):
    from app.figures.reads import figures

    rows, total = figures(w._city, (NOW - timedelta(days=30)).date(), NOW.date(), date.today())
    home = next(r for r in rows if r.village_id == w.home.id)
    other = next(r for r in rows if r.village_id == w.other.id)
    assert home.by_format == {"group": 1, "forum": 1, "home_visit": 0, "reception": 0, "online": 0}
    # 李书记 hosted twice and counts once; the county official who planned the second hosts it.
    assert home.by_level == {1: 0, 2: 2, 3: 1, 4: 1}
    assert (home.households, home.attendances, home.reached) == (4, 3, 2)
    assert home.attendance_rate == 3 / (2 * 4)
    assert (home.issues, home.suggestions, home.resolved, home.on_time, home.overdue) == (3, 1, 1, 1, 2)
    assert (home.answered, home.satisfied) == (2, 1) and home.satisfaction == 0.5
    assert home.avg_days is not None and home.avg_days < 0.1
    assert (other.meetings, other.reached, other.issues, other.overdue) == (1, 1, 1, 0)
    assert total.meetings == 3 and total.reached == 3 and total.issues == 4
    # The region's attendance rate is over each village's own invitations (its meetings times
    # its households), not every meeting of the region times every household of the region.
    invited = sum(r.meetings * r.households for r in rows)
    assert invited == 2 * 4 + other.meetings * other.households
    assert total.attendance_rate == total.attendances / invited
    assert total.attendance_rate != total.attendances / (total.meetings * total.households)
    # 王镇长 hosted in both villages, but unlinked names are people of their village.
    assert total.by_level == {1: 0, 2: 2, 3: 2, 4: 2}
    # A period before everything shows nothing, except what is overdue now.
    rows, total = figures(w._city, (NOW - timedelta(days=90)).date(), (NOW - timedelta(days=60)).date(),
                          date.today())
    assert total.meetings == 0 and total.issues == 0 and total.overdue == 2


def test_figures_page_scope_sort_and_download(client, auth, w):
    auth.login("cityofficial")
    page = client.get("/figures?sort=issues&desc=1")
    assert page.status_code == 200
    assert page.text.index(f'data-village="{w.home.id}"') < page.text.index(f'data-village="{w.other.id}"')
    assert 'id="total-meetings"' in page.text
    workbook = load_workbook(io.BytesIO(client.get("/figures.xlsx").data))
    sheet = workbook.active
    names = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "甲村" in names and "乙村" in names
    auth.logout()
    auth.login("committee")
    assert client.get("/figures").status_code == 403
    auth.logout()
    auth.login("county")
    assert client.get(f"/figures?region={w._city.id}").status_code == 404
    assert client.get(f"/figures?region={w._county.id}&start=garbage&end=2026-13-40").status_code == 200


def _direct(village_id, months, today):
    """The figures of a village counted here, row by row, from the tables the services wrote."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.figures.rollup import month_of, zone
    from app.models import Attendance, Household, Issue, Meeting

    held = [m for m in db.session.scalars(sa.select(Meeting).where(Meeting.village_id == village_id))
            if m.status != "planned" and months[0] <= month_of(m.starts_at) <= months[1]]
    visits = [a for m in held for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.meeting_id == m.id))]
    cadres = {(h.level, h.user_id or f"{village_id}:{h.name}") for m in held for h in m.hosts}
    raised = [i for i in db.session.scalars(sa.select(Issue).where(Issue.village_id == village_id))
              if months[0] <= month_of(i.created_at) <= months[1]]
    done = [i for i in raised if i.status in ("resolved", "confirmed")]
    return {
        "households": db.session.scalar(sa.select(sa.func.count()).where(
            Household.village_id == village_id, Household.active.is_(True))),
        "by_format": {f: sum(m.format == f for m in held) for f in FORMATS},
        "by_level": {lv: sum(level == lv for level, _c in cadres) for lv in (1, 2, 3, 4)},
        "attendances": len(visits), "reached": len({a.household_id for a in visits}),
        "issues": sum(i.kind == "issue" for i in raised),
        "suggestions": sum(i.kind == "suggestion" for i in raised), "resolved": len(done),
        "on_time": sum(i.deadline is not None and i.resolved_at.astimezone(zone()).date() <= i.deadline
                       for i in done),
        "resolve_days": round(sum((i.resolved_at - i.created_at).total_seconds() for i in done) / 86400, 3),
        "answered": sum(i.satisfied is not None for i in raised),
        "satisfied": sum(i.satisfied is True for i in raised),
        "overdue": db.session.scalar(sa.select(sa.func.count()).where(
            Issue.village_id == village_id, Issue.status.in_(("registered", "handling")),
            Issue.deadline < today)),
    }


FORMATS = ("group", "forum", "home_visit", "reception", "online")


@pytest.mark.parametrize("back", [0, 1, 3])
def test_every_village_agrees_with_a_direct_count(w, back):
    """For this month, and periods reaching back, every figure of every village equals the count
    made here from the meetings, check-ins and issues the fixture created through the services."""
    from app.figures.reads import figures, month_number

    today = date.today()
    first = (NOW - timedelta(days=31 * back)).date()
    # One more meeting and issue in an earlier month, so a period's start matters.
    old = meetings.plan(w.committee, w.home.id, "reception", "旧", NOW - timedelta(days=70),
                        hosts=[("李书记", 4)])
    meetings.open_meeting(w.committee, old.id)
    meetings.tick(w.committee, old.id, [w.h3.id, w.h1.id])
    rows, total = figures(w._city, first, NOW.date(), today)
    assert rows
    for row in rows:
        found = _direct(row.village_id, (month_number(first), month_number(NOW.date())), today)
        mine = {key: getattr(row, key) for key in found}
        mine["resolve_days"] = round(mine["resolve_days"], 3)
        assert mine == found, row.name
    assert total.meetings == sum(r.meetings for r in rows)


def test_villages_table_is_paginated_in_sort_order(app, client, auth, w):
    app.config["PAGE_SIZE"] = 1
    auth.login("cityofficial")
    first = client.get("/figures?sort=issues&desc=1").text
    assert f'data-village="{w.home.id}"' in first and f'data-village="{w.other.id}"' not in first
    assert "after=1" in first and 'id="total-meetings"' in first
    second = client.get("/figures?sort=issues&desc=1&after=1").text
    assert f'data-village="{w.other.id}"' in second and f'data-village="{w.home.id}"' not in second
    for forged in ("-5", "x", "99999999999999", "7"):
        assert client.get(f"/figures?after={forged}").status_code == 200
    # Digits to str.isdigit() that int() refuses: ² and ① start the table again, as "x" does.
    for forged in ("%C2%B2", "%E2%91%A0", "1%C2%B2"):
        page = client.get(f"/figures?after={forged}")
        assert page.status_code == 200 and f'data-village="{w.home.id}"' in page.text


def _village_order(text, w):
    return sorted((w.home.id, w.other.id), key=lambda v: text.index(f'data-village="{v}"'))


@pytest.mark.parametrize("column", ("name",) + figures.COLUMNS)
def test_every_column_sorts_both_ways_by_its_header(client, auth, w, column):
    """A click on a header sorts by it; a click on the same header sorts the other way."""
    import re

    auth.login("cityofficial")
    ascending = client.get(f"/figures?sort={column}&dir=asc").text
    descending = client.get(f"/figures?sort={column}&dir=desc").text
    assert f'aria-sort="ascending"><a href="/figures?sort={column}&amp;dir=desc' in ascending
    assert f'aria-sort="descending"><a href="/figures?sort={column}&amp;dir=asc' in descending
    rows = figures.sort_rows(figures.figures(w._city, date.today().replace(day=1) - timedelta(days=400),
                                             date.today(), date.today())[0], column, False)
    values = [r.value(column) if column != "name" else r.name for r in rows
              if r.village_id in (w.home.id, w.other.id)]
    if None not in values and values[0] != values[1]:
        assert _village_order(descending, w) == _village_order(ascending, w)[::-1], column
    # Every header of the page links to its own sort, and only with names the page knows.
    for href in re.findall(r'<th scope="col"[^>]*><a href="([^"]+)"', ascending):
        assert set(re.findall(r"[?&](?:amp;)?([a-z_]+)=", href)) <= {"sort", "dir", "start", "end"}


def test_figures_links_ignore_names_the_page_does_not_know(app, client, auth, w):
    import re

    app.config["PAGE_SIZE"] = 1
    auth.login("cityofficial")
    for query in ("endpoint=x", "_method=POST", "_external=1&_scheme=javascript", "_anchor=x",
                  "after=zz&endpoint=x", "after=1&_external=1&_scheme=javascript",
                  "sort=__class__&dir=sideways"):
        response = client.get(f"/figures?{query}")
        assert response.status_code == 200, query
        links = re.findall(r'href="([^"]*)"', response.text)
        assert any(link.startswith("/figures?sort=") for link in links), query
        for link in links:
            assert link[:1] in "/#" and not re.search(r"_method|endpoint|_anchor|#x", link), link


def test_on_a_phone_the_table_says_it_scrolls_and_the_months_have_room(client, auth, w):
    auth.login("cityofficial")
    page = client.get("/figures").text
    assert 'class="d-lg-none small text-muted mb-1" id="scroll-hint"' in page
    assert page.index('id="scroll-hint"') < page.index('id="villages"')
    assert page.count('<div class="col-12 col-sm-6 col-lg-3"><label class="form-label"') == 2


def test_served_apps_load_the_pinyin_dictionaries_before_the_first_request(tmp_path):
    """wsgi.py (gunicorn, flask run) warms pypinyin, so the first /figures of a worker does not
    wait for it; create_app alone (what the tests use) does not pay for it."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, SECRET_KEY="x" * 32, LIANXIN_INSTANCE=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'l.db'}")
    check = "import sys; {load}; from app import i18n; print(i18n._pinyin.cache_info().currsize)"
    served = subprocess.run([sys.executable, "-c", check.format(load="import wsgi")],
                            capture_output=True, text=True, env=env)
    bare = subprocess.run([sys.executable, "-c", check.format(
        load="from app import create_app; create_app()")], capture_output=True, text=True, env=env)
    assert served.stdout.strip().splitlines()[-1:] == ["1"], served.stderr[-2000:]
    assert bare.stdout.strip().splitlines()[-1:] == ["0"], bare.stderr[-2000:]


@pytest.mark.parametrize("descending", (False, True))
def test_every_sort_pages_as_sort_rows_orders_every_village(w, descending):
    """A page's order, counted by the database (counts) or here (rates), is sort_rows' order of
    every village's figures: villages with nothing tie at 0 (by id) or, for a rate, come last."""
    from app.extensions import db
    from app.models import Region

    township = db.session.get(Region, w.home.parent_id)
    for name in ("丁村", "戊村", "己村"):
        factories.village(name, township=township)
    first, today = date.today().replace(day=1) - timedelta(days=400), date.today()
    every = sorted(figures.figures(w._city, first, today, today)[0], key=lambda r: r.village_id)
    by_id = {r.village_id: r for r in every}
    for column in figures.COLUMNS:
        expected = [r.village_id for r in figures.sort_rows(every, column, descending)]
        found, start, more = [], 0, True
        while more:
            rows, more = figures.page(w._city, first, today, today, column, descending, start, 2)
            found += [r.village_id for r in rows]
            # Every figure of a page's row, those its sort counted too, as the whole table has it.
            assert rows == [by_id[r.village_id] for r in rows], column
            start += 2
        assert found == expected, column


def _overdue_in(village, n: int):
    """`n` issues of a new household of `village` past their deadline (raised and assigned by
    its own committee)."""
    committee = factories.user(f"late{village.id}", "committee", region_id=village.id)
    home = factories.household(village, head_name=f"{village.name}户")
    for k in range(n):
        late = issues.raise_issue(committee, home.id, "issue", "roads", f"{village.name}问题{k}")
        issues.assign(committee, late.id, None, "单位", date.today() - timedelta(days=3), "修")
    return committee


@pytest.mark.parametrize("size", (1, 2, 3))
def test_largest_first_pages_cut_from_the_counts_alone_keep_every_villages_order(w, size):
    """Under the only region at the top, a page sorted largest first is cut from the counts
    alone when it ends on a village with some: villages tied at a count (larger id first) and
    a village with a row of zero (a month with a meeting and no issue) against villages with no
    row at all keep sort_rows' order of every village, page after page."""
    from app.extensions import db
    from app.models import Region

    township = db.session.get(Region, w.home.parent_id)
    ding, wu, ji, geng = (factories.village(n, township=township) for n in ("丁村", "戊村", "己村", "庚村"))
    _overdue_in(ding, 1)
    _overdue_in(wu, 1)
    _overdue_in(geng, 2)
    committee = factories.user("quiet", "committee", region_id=ji.id)
    met = meetings.plan(committee, ji.id, "group", "无议题", NOW - timedelta(days=1))
    meetings.open_meeting(committee, met.id)  # 己村: a month row, no issue in it
    factories.village("辛村", township=township)  # nothing at all, a larger id than 己村's
    first, today = date.today().replace(day=1) - timedelta(days=400), date.today()
    every = sorted(figures.figures(w._city, first, today, today)[0], key=lambda r: r.village_id)
    counts = [r.overdue for r in every]
    assert 0 in counts and any(counts.count(n) > 1 for n in counts if n)  # ties and zeros to order
    for column in ("overdue", "issues", "meetings", "reached"):
        expected = [r.village_id for r in figures.sort_rows(every, column, True)]
        found, start, more = [], 0, True
        while more:
            rows, more = figures.page(w._city, first, today, today, column, True, start, size)
            found += [r.village_id for r in rows]
            assert [getattr(r, column) for r in rows] == [
                getattr(next(e for e in every if e.village_id == r.village_id), column) for r in rows]
            start += size
        assert found == expected, (column, size)


def test_sorts_by_a_periods_sums_agree_with_the_months_for_every_period(w):
    """Sorted by a counter of the months (meetings, check-ins' rate, issues...) over any period
    (from the running totals: the total at its last month less the one before its first, where
    a village has no row at either month the latest before it): each village's value and the
    order, both ways, are those of its figures summed over the period's months."""
    from app.extensions import db
    from app.models import Region

    township = db.session.get(Region, w.home.parent_id)
    quiet = factories.village("丁村", township=township)
    committee = factories.user("dingcommittee", "committee", region_id=quiet.id)
    house = factories.household(quiet, head_name="丁户")

    def months_ago(n: int) -> datetime:
        back = NOW.year * 12 + NOW.month - 1 - n
        return datetime(back // 12, back % 12 + 1, 12, 4, tzinfo=UTC)

    for back, fmt in ((5, "group"), (3, "forum"), (3, "group"), (1, "online")):
        met = meetings.plan(committee, quiet.id, fmt, f"{back}月前", months_ago(back))
        meetings.open_meeting(committee, met.id)
        if back != 3 or fmt == "group":
            meetings.tick(committee, met.id, [house.id])
    met = meetings.plan(w.committee, w.home.id, "group", "四月前", months_ago(4))
    meetings.open_meeting(w.committee, met.id)
    meetings.tick(w.committee, met.id, [w.h1.id, w.h2.id])
    today = date.today()
    for early in range(7):
        for late in range(early + 1):
            first, last = months_ago(early).date().replace(day=1), months_ago(late).date().replace(day=1)
            every = sorted(figures.figures(w._city, first, last, today)[0], key=lambda r: r.village_id)
            for column in ("meetings", "issues", "resolved", "attendance_rate", "avg_days", "satisfaction"):
                for descending in (False, True):
                    expected = figures.sort_rows(every, column, descending)
                    rows, more = figures.page(w._city, first, last, today, column, descending, 0, 50)
                    assert not more
                    assert [r.village_id for r in rows] == [r.village_id for r in expected], \
                        (column, early, late, descending)
                    assert [r.value(column) for r in rows] == [r.value(column) for r in expected]


@pytest.mark.parametrize("scope", ("city", "county", "long period"))
def test_sorted_pages_keep_to_the_region_when_another_tree_has_figures(w, scope):
    """Under a region at the top of the tree every village's figure is counted and the page's
    join keeps the region's own: a village of another city, with households reached and an
    overdue issue, never shows, and the order is sort_rows' order of the region's villages.
    Under a county the count itself is limited; a period of over five years is asked as a range
    of months, not a list."""
    from app.extensions import db
    from app.models import Region

    foreign = factories.village("外市村")  # a tree of its own: another city at the top
    committee = factories.user("foreigncommittee", "committee", region_id=foreign.id)
    home = factories.household(foreign, head_name="外户")
    met = meetings.plan(committee, foreign.id, "group", "外市", NOW - timedelta(days=2))
    meetings.open_meeting(committee, met.id)
    meetings.tick(committee, met.id, [home.id])
    meetings.close(committee, met.id)
    late = issues.raise_issue(committee, home.id, "issue", "roads", "外市问题")
    issues.assign(committee, late.id, None, "单位", date.today() - timedelta(days=3), "修")
    township = db.session.get(Region, w.home.parent_id)
    factories.village("丁村", township=township)
    root = w._county if scope == "county" else w._city
    today = date.today()
    first = date(2000, 1, 1) if scope == "long period" else today.replace(day=1) - timedelta(days=400)
    every, total = figures.figures(root, first, today, today)
    every = sorted(every, key=lambda r: r.village_id)
    assert foreign.id not in {r.village_id for r in every}
    # The totals' overdue and households are of the region's villages, not the other city's.
    assert total.overdue == sum(r.overdue for r in every) == 2
    assert total.households == sum(r.households for r in every)
    alone = figures.figures(None, first, today, today)[0]
    assert next(r for r in alone if r.village_id == foreign.id).reached == 1
    assert next(r for r in alone if r.village_id == foreign.id).overdue == 1
    for column in figures.COLUMNS:
        for descending in (False, True):
            expected = [r.village_id for r in figures.sort_rows(every, column, descending)]
            rows, more = figures.page(root, first, today, today, column, descending, 0, 10)
            assert [r.village_id for r in rows] == expected and not more, (column, descending)
            assert rows == [next(r for r in every if r.village_id == v) for v in expected]
