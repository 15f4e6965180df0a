"""The regions' monthly figures (figure_region_months, figure_region_reach) equal a direct
computation from meetings, check-ins, issues and the register, summed over each region's villages
by their place now: after opening, checking in, raising and settling, adding and deactivating
households, moving a village to another township and merging two villages; under racing
writers of one village; `flask figures verify` finds a wrong row and `rebuild` mends it; the
region's page reads the summary and no village's months."""
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.errors import DomainError
from app.extensions import db
from app.figures import charts, recount, regions
from app.figures.reads import COLUMNS, figures, page, sort_rows, total
from app.households import services as households
from app.issues import services as issues
from app.meetings import services as meetings
from app.models import FigureReachCount, FigureRegionMonth, FigureRegionReach, Region, RegionLevel, User
from app.regions import manage
from app.regions.services import add_regions
from tests.meetings_world import make_meeting_world
from tests.test_queries import count_queries
from tests.races import race

NOW = datetime.now(UTC)


def _direct() -> tuple[dict, dict]:
    """{(region, month): {field: n}} and {(region, month, since): households} for every region
    above a village, from the source tables (meetings, attendances, issues, households) by the
    village's place now; all-zero rows left out."""
    db.session.expire_all()
    villages = {v.id: v.ancestor_ids[:-1] for v in db.session.scalars(
        sa.select(Region).where(Region.level == RegionLevel.VILLAGE))}
    people = recount._households()
    months = Counter()
    for (village, month), counters in recount._months(recount._held_meetings()).items():
        held = sum(counters[k] for k in regions.MEETINGS)
        for region in villages[village]:
            for key, n in counters.items():
                months[region, month, key] += n
            months[region, month, "invited"] += held * people.get(village, (0, 0))[0]
    found = {}
    for (region, month, key), n in months.items():
        found.setdefault((region, month), dict.fromkeys(regions.FIELDS, 0))[key] = n
    reach = Counter()
    for village, month, since, n in db.session.execute(sa.select(*FigureReachCount.__table__.c)):
        for region in villages[village]:
            reach[region, month, since] += n
    return ({k: v for k, v in found.items() if any(v.values())},
            {k: n for k, n in reach.items() if n})


def _kept() -> tuple[dict, dict]:
    c = FigureRegionMonth.__table__.c
    months = {(r[0], r[1]): dict(zip(regions.FIELDS, r[2:])) for r in db.session.execute(
        sa.select(c.region_id, c.month, *(c[f] for f in regions.FIELDS))) if any(r[2:])}
    reach = {tuple(r[:3]): r[3] for r in db.session.execute(
        sa.select(*FigureRegionReach.__table__.c)) if r[3]}
    return months, reach


def _agrees(*roots):
    """The summary equals the direct computation, and each region's totals on the page equal the
    sums of its villages' rows as the page computed them before the summary."""
    assert _kept() == _direct()
    first, last = (NOW - timedelta(days=400)).date(), NOW.date()
    for root in roots:
        rows, kept = figures(root, first, last, NOW.date())
        summed = {"households": 0, "attendances": 0, "reached": 0, "issues": 0, "resolved": 0,
                  "satisfied": 0, "overdue": 0, "meetings": 0, "invited": 0}
        for row in rows:
            for key in summed:
                summed[key] += (row.meetings * row.households if key == "invited"
                                else getattr(row, key))
        assert {k: getattr(kept, k) if k != "invited" else kept.invited_sum for k in summed} == summed


def _user(user_id):
    return db.session.get(User, user_id)


def test_the_summary_equals_a_direct_computation_after_every_kind_of_change(app):
    w = make_meeting_world()
    (second,) = add_regions([("第二镇", RegionLevel.TOWNSHIP, w._county)])
    db.session.commit()
    opened = meetings.plan(w.committee, w.home.id, "forum", "夜谈", NOW, hosts=[("李书记", 4)])
    meetings.open_meeting(w.committee, opened.id)
    meetings.tick(w.committee, opened.id, [w.h1.id, w.h2.id])
    earlier = meetings.plan(w.committee, w.home.id, "group", "上月", NOW - timedelta(days=40))
    meetings.open_meeting(w.committee, earlier.id)
    meetings.tick(w.committee, earlier.id, [w.h2.id, w.h3.id])
    other = meetings.plan(w.admin, w.other.id, "group", "外村会", NOW)
    meetings.open_meeting(w.admin, other.id)
    meetings.tick(w.admin, other.id, [w.far.id])
    issue = issues.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "路灯坏了")
    issues.assign(w.committee, issue.id, None, "镇城建办", date.today() + timedelta(days=3), "修")
    issues.resolve(w.committee, issue.id, "好了")
    issues.confirm(w.h1_user, issue.id, True)
    late = issues.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "水沟堵了")
    issues.assign(w.committee, late.id, None, "镇城建办", date.today() - timedelta(days=1), "修")
    issues.raise_issue(w.h1_user, w.h1.id, "suggestion", "other", "建个广场")
    assert _kept()[0][w._city.id, NOW.year * 100 + NOW.month]["invited"] == 1 * 3 + 1 * 1
    _agrees(w._city, w._township)

    added = households.create_household(w.committee, w.home, {"number": "0901", "head_name": "新户",
                                                              "members": "2"})
    households.set_active(w.committee, db.session.get(type(added), w.h3.id), False)
    _agrees(w._city, w._township)

    manage.move_village(w.admin, w.other, second)
    db.session.commit()
    # 乙村's group meeting and check-in left 甲村's township for the new one
    this_month = _kept()[0][w._township.id, NOW.year * 100 + NOW.month]
    assert (this_month["meetings_group"], this_month["attendances"]) == (0, 2)
    _agrees(w._city, w._county, w._township, second)

    manage.merge_villages(w.admin, w.other, w.home)  # its households (not its history) move
    db.session.commit()
    _agrees(w._city, w._county, w._township, second)
    assert recount.verify() == []
    _pages_agree(w._city)


def _pages_agree(root):
    """Every page of the table, in every column's order both ways, holds the villages and the
    figures the whole table sorted in memory had (as the page was built before)."""
    first, last, today = (NOW - timedelta(days=400)).date(), NOW.date(), NOW.date()
    rows, _total = figures(root, first, last, today)
    for column in ("name",) + COLUMNS:
        for descending in (False, True):
            expected = [(r.village_id, r.meetings, r.reached, r.overdue, r.attendance_rate)
                        for r in sort_rows(rows, column, descending)]
            got = []
            for start in range(0, len(expected) + 1):
                found, more = page(root, first, last, today, column, descending, start, 1)
                got += [(r.village_id, r.meetings, r.reached, r.overdue, r.attendance_rate)
                        for r in found]
                assert more == (start + 1 < len(expected))
            assert got == expected, (column, descending)


def test_verify_finds_a_wrong_region_row_and_rebuild_mends_it(app, runner):
    w = make_meeting_world()
    opened = meetings.plan(w.committee, w.home.id, "forum", "夜谈", NOW)
    meetings.open_meeting(w.committee, opened.id)
    meetings.tick(w.committee, opened.id, [w.h1.id])
    kept = _kept()
    db.session.execute(sa.update(FigureRegionMonth).where(FigureRegionMonth.region_id == w._county.id)
                       .values(invited=FigureRegionMonth.invited + 1))
    db.session.execute(sa.delete(FigureRegionReach).where(FigureRegionReach.region_id == w._city.id))
    db.session.commit()
    wrong = recount.verify()
    assert any(f"region {w._county.id} month" in line and "invited 4 expected 3" in line
               for line in wrong), wrong
    assert any(f"region {w._city.id} households reached" in line for line in wrong), wrong
    result = runner.invoke(args=["figures", "verify"])
    assert result.exit_code == 1 and "MISMATCH region" in result.output
    assert runner.invoke(args=["figures", "rebuild"]).exit_code == 0
    assert _kept() == kept and recount.verify() == []


def test_racing_writers_of_one_village_keep_the_regions_right(app):
    """Meetings opened, check-ins and new households of one village at once (separate sessions):
    `invited` (meetings times households) and every counter stay equal to a recount."""
    w = make_meeting_world()
    planned = [meetings.plan(w.committee, w.home.id, "group", f"会{n}", NOW).id for n in range(5)]
    first = meetings.plan(w.committee, w.home.id, "forum", "先开", NOW)
    meetings.open_meeting(w.committee, first.id)
    ids = {"committee": w.committee.id, "home": w.home.id, "first": first.id,
           "households": [w.h1.id, w.h2.id, w.h3.id]}
    db.session.commit()

    def work(i):
        committee = _user(ids["committee"])
        try:
            if i % 3 == 0:
                return meetings.open_meeting(committee, planned[i // 3 % 5]).id
            if i % 3 == 1:
                village = db.session.get(Region, ids["home"])
                return households.create_household(committee, village, {
                    "number": f"09{i:02d}", "head_name": f"新户{i}", "members": "1"}).id
            return meetings.tick(committee, ids["first"], ids["households"][i % 3:])
        except DomainError as error:
            return error

    results = race(app, work, threads=15)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)], results
    assert recount.verify() == []
    assert _kept() == _direct()


def test_the_city_page_reads_no_village_months(client, auth, app, monkeypatch):
    """The city's page reads its months from the summary: only the page's villages' rows."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    w = make_meeting_world()
    opened = meetings.plan(w.committee, w.home.id, "forum", "夜谈", NOW)
    meetings.open_meeting(w.committee, opened.id)
    db.session.commit()
    auth.login("cityofficial")
    with count_queries() as statements:
        page = client.get("/figures")
    assert page.status_code == 200
    village_months = [s for s in statements if "FROM figure_months" in s]
    # one read, of the page's villages by their ids, never the region's village range
    assert len(village_months) == 1 and "regions.path" not in village_months[0], village_months
    assert any("FROM figure_region_months" in s for s in statements)
    kept = total(w._city, (NOW - timedelta(days=330)).date(), NOW.date(), NOW.date())
    assert kept.meetings == 1 and kept.invited_sum == 3


def test_everything_counts_a_county_that_stands_at_the_root(app):
    """A county may be the root of the tree (a county-level city, or a county set up on its own:
    regions/codes.may_be_root); the administrator's totals for everything (no root) must count
    its villages as the villages' own rows do, not only the cities'."""
    w = make_meeting_world()
    county, = add_regions([("独立县", RegionLevel.COUNTY, None)])
    township, = add_regions([("独立镇", RegionLevel.TOWNSHIP, county)])
    village, = add_regions([("独立村", RegionLevel.VILLAGE, township)])
    db.session.commit()
    for place in (w.home, village):
        held = meetings.plan(w.admin, place.id, "group", "夜谈", NOW)
        meetings.open_meeting(w.admin, held.id)
    db.session.commit()
    _agrees(None, county, w._city)
    month = NOW.year * 100 + NOW.month
    first = (NOW - timedelta(days=40)).date()
    held = {root: charts.monthly(root, first, NOW.date(), NOW.date())["counts"][month]
            ["meetings_group"] for root in (None, county, w._city)}
    assert held[None] == held[county] + held[w._city] and held[county] == 1, held
