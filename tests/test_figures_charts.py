"""The figures' charts: their series equal counts made here from the rows the test wrote, the
page carries them for the browser, each chart's .xlsx has the same numbers, and the queries do
not grow with the villages or the months."""
import io
import json
import re
from datetime import date, timedelta
from html import unescape

import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.figures import charts
from app.figures.rollup import month_of
from app.ledger import rules
from app.ledger import services as ledger
from app.models import Attendance, Issue, LedgerEntry, Meeting
from tests import factories
from tests.test_figures_page import NOW, w  # noqa: F401  (the fixture: two villages' data)
from tests.test_queries import count_queries

FIRST, LAST = (NOW - timedelta(days=70)).date(), NOW.date()


def _by_id(specs):
    return {s["id"]: s for s in specs}


def _direct(village_ids, months, today):
    """The monthly series counted here row by row from the meetings, check-ins and issues."""
    held = [m for m in db.session.scalars(sa.select(Meeting).where(Meeting.village_id.in_(village_ids)))
            if m.status != "planned"]
    visits = db.session.scalars(sa.select(Attendance)).all()
    issues = db.session.scalars(sa.select(Issue).where(Issue.village_id.in_(village_ids))).all()
    meeting_month = {m.id: month_of(m.starts_at) for m in held}
    out = {}
    for k in months:
        out[k] = {
            "formats": {f: sum(m.format == f and month_of(m.starts_at) == k for m in held)
                        for f in ("group", "forum", "home_visit", "reception", "online")},
            "reached": len({(a.household_id, meeting_month[a.meeting_id]) for a in visits
                            if meeting_month.get(a.meeting_id) == k}),
            "issues": sum(i.kind == "issue" and month_of(i.created_at) == k for i in issues),
            "resolved": sum(i.status in ("resolved", "confirmed") and month_of(i.created_at) == k
                            for i in issues),
            "overdue": sum(i.status in ("registered", "handling") and i.deadline is not None
                           and i.deadline < today and month_of(i.created_at) == k for i in issues),
        }
    return out


def test_series_equal_the_rows(w):  # noqa: F811
    today = date.today()
    rows, _total = charts.figures.figures(w._city, FIRST, LAST, today)
    specs = _by_id(charts.specs(w._city, FIRST, LAST, today, rows))
    months = charts.months_between(FIRST, LAST)
    assert len(months) >= 3 and specs["meetings"]["categories"][-1] == f"{LAST:%Y-%m}"
    direct = _direct([w.home.id, w.other.id], months, today)
    for index, (key, _label) in enumerate(charts.FORMATS):
        assert specs["meetings"]["series"][index]["data"] == [direct[k]["formats"][key] for k in months]
    reach, rate = specs["reach"]["series"]
    assert reach["data"] == [direct[k]["reached"] for k in months]
    assert sum(reach["data"]) >= 3  # distinct in each month: 甲村 two, 乙村 one
    # attendance rate: check-ins over each village's meetings times its households
    for k, value in zip(months, rate["data"]):
        held = sum(direct[k]["formats"].values())
        assert (value is None) == (held == 0)
    collected, resolved, overdue = (s["data"] for s in specs["issues"]["series"])
    assert collected == [direct[k]["issues"] for k in months] and sum(collected) == 4
    assert resolved == [direct[k]["resolved"] for k in months] and sum(resolved) == 1
    assert overdue == [direct[k]["overdue"] for k in months] and sum(overdue) == 2
    villages = specs["villages"]
    assert villages["categories"] == [r.name for r in rows]
    assert villages["series"][0]["data"] == [r.meetings for r in rows]


def test_attendance_rate_of_one_village(w):  # noqa: F811
    today = date.today()
    specs = _by_id(charts.specs(w.home, FIRST, LAST, today, []))
    rate = specs["reach"]["series"][1]["data"]
    months = charts.months_between(FIRST, LAST)
    direct = _direct([w.home.id], months, today)
    households = 4  # 甲村's active households (the fixture's h1..h4)
    visits = db.session.scalars(sa.select(Attendance)).all()
    for k, value in zip(months, rate):
        held = [m.id for m in db.session.scalars(sa.select(Meeting).where(Meeting.village_id == w.home.id))
                if m.status != "planned" and month_of(m.starts_at) == k]
        came = sum(a.meeting_id in held for a in visits)
        expected = round(came * 100 / (len(held) * households), 1) if held else None
        assert value == expected, (k, value, expected, direct[k])
    assert any(v is not None for v in rate)


def _points_world(w):  # noqa: F811
    """甲村's rules in two categories: awards, a deduction and a reversal."""
    other = rules.create_category(w.committee, w.home.id, "环境卫生")
    clean = rules.create_rule(w.committee, w.home.id, other.id, "HJ01", "庭院整洁", 6)
    litter = rules.create_rule(w.committee, w.home.id, other.id, "HJ02", "乱扔垃圾", -4)
    ledger.award(w.committee, [w.h1.id, w.h2.id], w.resolved_rule.id, "解决")
    ledger.award(w.committee, [w.h1.id], clean.id, "整洁")
    ledger.deduct(w.committee, [w.h2.id], litter.id, "垃圾")
    wrong = ledger.award(w.committee, [w.h3.id], clean.id, "记错")
    ledger.reverse(w.committee, wrong[0].id, "记错了")
    far = rules.create_category(w.other_committee, w.other.id, "参与议事")
    far_rule = rules.create_rule(w.other_committee, w.other.id, far.id, "YS01", "参加夜谈会", 7)
    ledger.award(w.other_committee, [w.far.id], far_rule.id, "外村")


def test_points_by_category_of_a_village(w):  # noqa: F811
    _points_world(w)
    specs = _by_id(charts.specs(w.home, FIRST, LAST, date.today(), []))
    chart = specs["categories"]
    found = dict(zip(chart["categories"], chart["series"][0]["data"]))
    direct = {}
    for entry in db.session.scalars(sa.select(LedgerEntry).where(
            LedgerEntry.village_id == w.home.id, LedgerEntry.rule_id.is_not(None),
            LedgerEntry.kind.in_(("award", "deduction", "reversal")))):
        direct[entry.rule.category.name] = direct.get(entry.rule.category.name, 0) + entry.points
    assert found == direct
    # 参与议事 also holds the meetings' and issues' automatic awards (their rules are in it)
    assert found["参与议事"] >= 20 and found["环境卫生"] == 6 - 4
    assert "villages" not in specs
    # the city's chart: categories of one name in several villages together, from the summary
    city = _by_id(charts.specs(w._city, FIRST, LAST, date.today(), []))["categories"]
    assert dict(zip(city["categories"], city["series"][0]["data"])) == {
        "参与议事": found["参与议事"] + 7, "环境卫生": 2}


def test_grids_of_a_village(w):  # noqa: F811
    """A village's page compares its grids: households, and points gained (from the rankings'
    summary) equal to the scoring entries counted here."""
    from app.models import Household

    grid = factories.grid(w.home)
    h1 = db.session.get(Household, w.h1.id)
    h1.grid_id = grid.id
    db.session.commit()
    _points_world(w)
    spec = _by_id(charts.specs(w.home, FIRST, LAST, date.today(), []))["grids"]
    shown = {c: (spec["series"][0]["data"][i], spec["series"][1]["data"][i])
             for i, c in enumerate(spec["categories"])}
    direct = {}
    for household in db.session.scalars(sa.select(Household).where(Household.village_id == w.home.id)):
        name = household.grid.name if household.grid_id else "未分网格"
        points = sum(e.points for e in db.session.scalars(sa.select(LedgerEntry).where(
            LedgerEntry.household_id == household.id)) if e.kind in ("award", "deduction", "adjustment")
            or (e.kind == "reversal" and e.rule_id is not None))
        count, total = direct.get(name, (0, 0))
        direct[name] = (count + household.active, total + points)
    if grid.name not in shown or "未分网格" not in shown:
        raise AssertionError(shown)
    assert shown[grid.name] == direct[grid.name] and shown[grid.name][1] > 0
    assert shown["未分网格"] == direct["未分网格"]


def test_points_by_rule_kept_by_the_ledger(w):  # noqa: F811
    """The summary equals a recount of the ledger after awards, a deduction, reversals (one of
    an entry of an earlier month) and a bulk import; verify finds a tampered row, rebuild mends it."""
    from datetime import UTC, datetime

    from app.database import transaction
    from app.models import FigurePoints
    from app.figures import rule_points

    _points_world(w)
    earlier = datetime(2026, 1, 15, 3, tzinfo=UTC)
    ledger.import_entries([
        dict(household_id=w.h1.id, village_id=w.home.id, points=10, kind="award",
             rule_id=w.resolved_rule.id, note="一月", created_at=earlier),
        dict(household_id=w.h2.id, village_id=w.home.id, points=-3, kind="redemption", note="兑换",
             created_at=earlier)])
    db.session.commit()
    january = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.note == "一月"))
    ledger.reverse(w.committee, january.id, "记错")
    db.session.commit()
    # counted here from the ledger, entry by entry
    direct = {}
    entries = {e.id: e for e in db.session.scalars(sa.select(LedgerEntry))}
    for e in entries.values():
        source = entries[e.reverses_id] if e.reverses_id else e
        if source.kind in ("award", "deduction") and source.rule_id is not None:
            key = (source.village_id, month_of(source.created_at), source.rule_id)
            direct[key] = direct.get(key, 0) + e.points
    direct = {k: n for k, n in direct.items() if n}
    assert rule_points.stored() == direct
    assert (w.home.id, 202601, w.resolved_rule.id) not in direct  # the reversal took January's off
    assert rule_points.verify() == []
    row = db.session.scalars(sa.select(FigurePoints)).first()
    row.points += 1
    db.session.commit()
    assert len(rule_points.verify()) == 1
    with transaction():
        rule_points.rebuild()
    assert rule_points.verify() == [] and rule_points.stored() == direct


def _xlsx_rows(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


def _page_specs(text):
    found = re.findall(r"data-chart='([^']*)'", text)
    return _by_id(json.loads(unescape(raw)) for raw in found)


def test_page_and_xlsx_carry_the_same_numbers(client, auth, w):  # noqa: F811
    _points_world(w)
    auth.login("cityofficial")
    span = f"start={FIRST:%Y-%m}&end={LAST:%Y-%m}"
    page = client.get(f"/figures?{span}")
    assert page.status_code == 200
    shown = _page_specs(page.text)
    assert set(shown) == {"meetings", "reach", "issues", "categories", "villages"}
    assert page.text.index('id="charts"') < page.text.index('id="totals"')  # charts first
    assert "vendor/echarts/echarts.min.js" in page.text and "<script>" not in page.text
    for name, spec in shown.items():
        rows = _xlsx_rows(client.get(f"/figures/charts/{name}.xlsx?{span}"))
        assert list(rows[0]) == [spec["first"]] + [s["name"] for s in spec["series"]]
        assert [list(r) for r in rows[1:]] == [
            [c] + [s["data"][i] for s in spec["series"]] for i, c in enumerate(spec["categories"])]
    # the village's page: its own charts, with points by category
    village = _page_specs(client.get(f"/figures?region={w.home.id}&{span}").text)
    assert set(village) == {"meetings", "reach", "issues", "categories", "grids"}
    grids = _xlsx_rows(client.get(f"/figures/charts/grids.xlsx?region={w.home.id}&{span}"))
    assert [list(r) for r in grids[1:]] == [[c] + [s["data"][i] for s in village["grids"]["series"]]
                                             for i, c in enumerate(village["grids"]["categories"])]
    rows = _xlsx_rows(client.get(f"/figures/charts/categories.xlsx?region={w.home.id}&{span}"))
    spec = village["categories"]
    assert dict(rows[1:]) == dict(zip(spec["categories"], spec["series"][0]["data"]))
    assert dict(rows[1:])["环境卫生"] == 2
    # the villages chart follows the table's sort
    by_issues = _page_specs(client.get(f"/figures?sort=issues&dir=desc&{span}").text)["villages"]
    assert by_issues["categories"] == ["甲村", "乙村"]
    by_name = _page_specs(client.get(f"/figures?sort=issues&dir=asc&{span}").text)["villages"]
    assert by_name["categories"] == ["乙村", "甲村"]
    assert client.get(f"/figures/charts/nothing.xlsx?{span}").status_code == 404
    assert client.get(f"/figures/charts/grids.xlsx?{span}").status_code == 404  # a village's only
    assert client.get(f"/figures/charts/villages.xlsx?region={w.home.id}&{span}").status_code == 404
    assert client.get(f"/figures/charts/meetings.xlsx?region={w.far.id + 10**6}").status_code == 404


def _counted(statements) -> int:
    """The statements of the page, less flask-login's load of the signed-in user (sent or not
    depending on what the session still holds from the requests before)."""
    return sum(not s.startswith("SELECT users.") for s in statements)


def test_chart_queries_do_not_grow(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    counts = []
    for n in (2, 12):
        city, _county, _township, villages = factories.region_tree(
            villages=[f"图{n}村{i}" for i in range(n)])
        factories.user(f"off{n}", "official", region_id=city.id)
        admin = factories.user(f"adm{n}", "admin")
        for v in villages:  # each village with a household, a grid and points from a rule
            household = factories.household(v, grid_obj=factories.grid(v))
            category = rules.create_category(admin, v.id, "乡风文明")
            rule = rules.create_rule(admin, v.id, category.id, "A01", "好人好事", 10)
            ledger.award(admin, [household.id], rule.id, "好")
        auth.login(f"off{n}")
        with count_queries() as statements:
            assert client.get("/figures?start=2025-01&end=2026-12").status_code == 200
        counts.append(_counted(statements))
        for name in ("meetings", "villages", "categories"):
            with count_queries() as statements:
                assert client.get(f"/figures/charts/{name}.xlsx?start=2025-01&end=2026-12").status_code == 200
            counts.append(_counted(statements))
        with count_queries() as statements:
            assert client.get(f"/figures?region={villages[0].id}&start=2025-01").status_code == 200
        counts.append(_counted(statements))
        auth.logout()
    # twelve villages with their points and grids cost the statements two do
    assert counts[:5] == counts[5:], counts
    assert max(counts) <= 20, counts


def test_overdue_counted_by_local_month_at_its_boundary(w):  # noqa: F811
    """Overdue issues are grouped by the database into the local month they were raised: one a
    minute before last month's first local midnight counts two months back, one a minute after
    it last month (in UTC both are the same day, so a UTC month would put them together)."""
    from datetime import datetime

    from app.figures.rollup import zone
    from app.issues import services as issues

    here = NOW.astimezone(zone())
    last = (here.replace(day=1) - timedelta(days=1)).replace(day=1)
    boundary = datetime(last.year, last.month, 1, tzinfo=zone())
    early = issues.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "月初前")
    issues.assign(w.committee, early.id, None, "单位", date.today() - timedelta(days=1), "修")
    late = db.session.scalars(sa.select(Issue).where(Issue.description == "丙")).one()  # overdue
    db.session.execute(sa.update(Issue).where(Issue.id == early.id)
                       .values(created_at=boundary - timedelta(minutes=1)))
    db.session.execute(sa.update(Issue).where(Issue.id == late.id)
                       .values(created_at=boundary + timedelta(minutes=1)))
    db.session.commit()
    months = charts.months_between(FIRST, LAST)
    before = month_of(boundary - timedelta(minutes=1))
    after = month_of(boundary + timedelta(minutes=1))
    assert before != after and {before, after} <= set(months)
    direct = _direct([w.home.id, w.other.id], months, date.today())
    overdue = charts.monthly(w._city, FIRST, LAST, date.today())["overdue"]
    assert overdue == {k: direct[k]["overdue"] for k in months}
    assert overdue[before] == 1 and overdue[after] == 1
    # a period typed from year 1 or to year 9999 still answers
    assert sum(charts.monthly(w.home, date(1, 1, 1), LAST, date.today())["overdue"].values()) == \
        sum(overdue.values())
    assert charts.monthly(w.home, FIRST, date(9999, 12, 1), date.today())["overdue"][after] == 1


def test_one_charts_xlsx_reads_only_its_own_summary(client, auth, w):  # noqa: F811
    """A chart's .xlsx computes that chart alone (not the page's table of every village and every
    other chart), and the overdue series is counted by the database, not read issue by issue."""
    auth.login("cityofficial")
    span = f"start={FIRST:%Y-%m}&end={LAST:%Y-%m}"
    with count_queries() as statements:
        assert client.get(f"/figures/charts/categories.xlsx?{span}").status_code == 200
    read = " ".join(statements)
    # the city's points by category from its own summary, not its villages' points by rule
    assert "figure_region_points" in read and "figure_points" not in read
    for other in ("figure_months", "figure_reach_counts", "figure_cadre_counts", "issues"):
        assert other not in read, other
    with count_queries() as statements:
        assert client.get(f"/figures/charts/issues.xlsx?{span}").status_code == 200
    read = " ".join(statements)
    # the city's months from its own summary, a row a month, not its villages' rows
    assert "figure_region_months" in read and "figure_months" not in read
    assert "figure_points" not in read and "figure_cadre_counts" not in read
    with count_queries() as statements:
        assert client.get(f"/figures?{span}").status_code == 200
    assert not [s for s in statements if s.startswith("SELECT issues.created_at")], statements
