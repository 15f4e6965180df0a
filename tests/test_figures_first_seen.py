"""Households reached and cadres over any period, as the officials' figures sum them from the
counts by month and previous month seen, equal the distinct counts made here from the meetings,
check-ins and hosts: with months filled out of order, after racing check-ins of the same
households in two months, and after a village moves to another township."""
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.errors import Conflict
from app.extensions import db
from app.figures import recount
from app.figures.reads import figures, month_number
from app.figures.rollup import month_of
from app.meetings import services as meetings
from app.models import (Attendance, FigureCadreCount, FigureReachCount, Household, Meeting, Region,
                        RegionLevel, User)
from app.regions import manage
from app.regions.services import add_regions
from tests import factories
from tests.meetings_world import make_meeting_world
from tests.races import race

NOW = datetime.now(UTC)


def _months_ago(n: int) -> datetime:
    """The 10th of the month n months before this one, 19:00 UTC."""
    back = NOW.year * 12 + NOW.month - 1 - n
    return datetime(back // 12, back % 12 + 1, 10, 11, tzinfo=UTC)


def _first_day(moment: datetime) -> date:
    return moment.date().replace(day=1)


def _direct(region: Region, first: date, last: date):
    """Per village under `region`: households reached and {level: cadres}; and the region's
    {level: cadres} with a cadre of several villages once; counted from the source tables."""
    months = (month_number(first), month_number(last))
    villages = {r.id: r for r in db.session.scalars(sa.select(Region).where(
        Region.level == RegionLevel.VILLAGE, Region.path.startswith(region.path)))}
    held = [m for m in db.session.scalars(sa.select(Meeting).where(Meeting.village_id.in_(villages)))
            if m.status != "planned" and months[0] <= month_of(m.starts_at) <= months[1]]
    reached = {v: set() for v in villages}
    cadres = {v: set() for v in villages}
    for meeting in held:
        reached[meeting.village_id] |= set(db.session.scalars(
            sa.select(Attendance.household_id).where(Attendance.meeting_id == meeting.id)))
        cadres[meeting.village_id] |= {(h.level, h.user_id or f"{meeting.village_id}:{h.name}")
                                       for h in meeting.hosts}
    in_region = set().union(*cadres.values())
    by_level = lambda found: {lv: sum(level == lv for level, _c in found) for lv in (1, 2, 3, 4)}  # noqa: E731
    return ({v: (len(reached[v]), by_level(cadres[v])) for v in villages}, by_level(in_region))


def _assert_every_period_agrees(regions, moments):
    for region in regions:
        for start in moments:
            for end in moments:
                if start > end:
                    continue
                first, last = _first_day(start), _first_day(end)
                rows, total = figures(region, first, last, date.today())
                villages, region_cadres = _direct(region, first, last)
                assert {r.village_id: (r.reached, r.by_level) for r in rows} == villages, \
                    (region.name, first, last)
                assert total.by_level == region_cadres, (region.name, first, last)
                assert total.reached == sum(n for n, _levels in villages.values())


@pytest.fixture
def w(app):
    w = make_meeting_world()
    w.more = [factories.household(w.home, head_name=f"户{n}") for n in range(4)]
    w.far2 = factories.household(w.other, head_name="外村二")
    return w


def _meeting(actor, village, months_ago, hosts=()):
    meeting = meetings.plan(actor, village.id, "group", f"{months_ago}个月前", _months_ago(months_ago),
                            hosts=hosts)
    meetings.open_meeting(actor, meeting.id)
    return meeting


def test_months_filled_out_of_order_count_each_household_and_cadre_once(w):
    """Check-ins arrive for months in any order (a late-entered meeting of an earlier month):
    every period's distinct counts stay right, per village and for each region above."""
    home = [w.h1, w.h2, w.h3] + w.more
    plan = [  # (actor, village, months ago, households, hosts)
        (w.committee, w.home, 4, home[:3], [("李书记", 4)]),
        (w.county_official, w.home, 1, home[2:5], [("李书记", 4), ("王镇长", 3)]),
        (w.county_official, w.other, 4, [w.far], [("外村书记", 4)]),  # the same official elsewhere
        (w.committee, w.home, 2, home[0:2] + home[5:], [("王镇长", 3)]),
        (w.city_official, w.other, 1, [w.far, w.far2], []),
        (w.committee, w.home, 4, home[4:6], [("李书记", 4)]),  # the 4-months-ago month again
        (w.county_official, w.home, 0, home[:1], []),
        (w.committee, w.home, 6, home[1:3], [("李书记", 4)]),  # the earliest, entered last
    ]
    committees = {w.home.id: w.committee, w.other.id: w.other_committee}
    for actor, village, back, households, hosts in plan:
        meeting = _meeting(actor, village, back, hosts)
        meetings.tick(committees[village.id], meeting.id, [h.id for h in households])
    moments = [_months_ago(n) for n in (7, 6, 4, 2, 1, 0)]
    _assert_every_period_agrees([w._city, w._county, w._township, w.home, w.other], moments)
    assert recount.verify() == []
    kept = _counts()
    recount.rebuild()
    db.session.commit()
    assert _counts() == kept


def _counts():
    db.session.expire_all()
    return {model.__tablename__: sorted(tuple(row) for row in db.session.execute(
        sa.select(*model.__table__.c)) if row[-1]) for model in (FigureReachCount, FigureCadreCount)}


def test_racing_check_ins_of_the_same_households_in_two_months(app, w):
    """The same households check in at once to an open meeting of this month and one of three
    months ago (kept open late): each counts once over both, on both databases."""
    accounts = [w.h1_user, w.h3_user] + [factories.user(f"more{n}", "household", household_id=h.id)
                                         for n, h in enumerate(w.more)]
    old = _meeting(w.committee, w.home, 3, [("李书记", 4)])
    new = _meeting(w.committee, w.home, 0, [("李书记", 4)])
    ids = {"accounts": [u.id for u in accounts], "meetings": [old.id, new.id],
           "committee": w.committee.id, "households": [u.household_id for u in accounts]}
    db.session.commit()

    def work(i):
        meeting = ids["meetings"][i % 2]
        n = i // 2 % len(ids["accounts"])
        if i % 4 == 3:
            return meetings.tick(db.session.get(User, ids["committee"]), meeting, [ids["households"][n]])
        return meetings.check_in(db.session.get(User, ids["accounts"][n]), meeting)[1]

    results = race(app, work)
    # A committee's tick that loses to the household's own check-in is refused as already
    # recorded (and can be repeated); nothing else fails, a check-in never.
    assert all(isinstance(r, Conflict) and i % 4 == 3 for i, r in enumerate(results)
               if isinstance(r, Exception)), results
    assert recount.verify() == []
    _assert_every_period_agrees([w._township, w.home], [_months_ago(n) for n in (4, 3, 1, 0)])
    rows, _total = figures(w.home, _first_day(_months_ago(3)), _first_day(NOW), date.today())
    assert next(r for r in rows if r.village_id == w.home.id).reached == len(ids["accounts"])


def test_a_moved_village_takes_its_cadres_to_the_regions_above_its_new_place(w):
    (second,) = add_regions([("第二镇", RegionLevel.TOWNSHIP, w._county)])
    (third,) = add_regions([("丙村", RegionLevel.VILLAGE, second)])
    db.session.commit()
    factories.household(third, head_name="丙户")
    # The county official hosts in 甲村 and in 丙村 (another township), both this month.
    _meeting(w.county_official, w.home, 0)
    _meeting(w.county_official, third, 0)
    _meeting(w.committee, w.home, 1, [("李书记", 4)])
    moments = [_months_ago(1), _months_ago(0)]
    _assert_every_period_agrees([w._county, w._township, second], moments)
    month = (_first_day(NOW), _first_day(NOW))
    assert figures(w._county, *month, date.today())[1].by_level[2] == 1
    assert figures(second, *month, date.today())[1].by_level[2] == 1
    manage.move_village(w.admin, w.home, second)
    db.session.commit()
    assert figures(w._township, *month, date.today())[1].by_level == {1: 0, 2: 0, 3: 0, 4: 0}
    assert figures(second, *month, date.today())[1].by_level[2] == 1  # the official, once
    _assert_every_period_agrees([w._county, w._township, second], moments)
    assert recount.verify() == []


def test_verify_finds_a_wrong_count_and_rebuild_mends_it(w, runner):
    meeting = _meeting(w.committee, w.home, 1, [("李书记", 4)])
    meetings.tick(w.committee, meeting.id, [w.h1.id, w.h2.id])
    db.session.execute(sa.update(FigureReachCount).values(households=FigureReachCount.households + 1))
    db.session.execute(sa.delete(FigureCadreCount).where(FigureCadreCount.region_id == w._city.id))
    db.session.commit()
    wrong = recount.verify()
    assert any("households reached counted by month" in line for line in wrong)
    assert any(f"region {w._city.id} cadres" in line for line in wrong)
    assert runner.invoke(args=["figures", "rebuild"]).exit_code == 0
    assert recount.verify() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) > 0
