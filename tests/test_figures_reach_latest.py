"""Households reached and cadres attending from a month to now, as the figures page sorts a
region's villages by them (one row a village of figure_reach_latest, figure_cadre_latest), equal
the distinct households and cadres counted here from the meetings, hosts and check-ins: after
random check-ins of several households at once in months filled in any order (Hypothesis), on
both databases; `flask figures verify` names a wrong or missing
row and `rebuild` mends it (the migration's backfill: test_figure_sums_migrations.py)."""
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.figures import reads, recount
from app.figures.rollup import month_of
from app.meetings import services as meetings
from app.models import Attendance, FigureCadreLatest, FigureReachLatest, Meeting, MeetingHost
from tests import factories
from tests.meetings_world import make_meeting_world

NOW = datetime.now(UTC)
TODAY = date.today()


def _months_ago(n: int) -> datetime:
    """The 10th of the month n months before this one, 11:00 UTC."""
    back = NOW.year * 12 + NOW.month - 1 - n
    return datetime(back // 12, back % 12 + 1, 10, 11, tzinfo=UTC)


@pytest.fixture
def w(app):
    w = make_meeting_world()
    w.more = [factories.household(w.home, head_name=f"户{n}") for n in range(4)]
    w.far2 = factories.household(w.other, head_name="外村二")
    w.houses = {w.home.id: [w.h1.id, w.h2.id, w.h3.id] + [h.id for h in w.more],
                w.other.id: [w.far.id, w.far2.id]}
    w.committees = {w.home.id: w.committee, w.other.id: w.other_committee}
    w.meetings = {}  # (village id, months ago) -> meeting id
    return w


def _hosts(months_ago: int) -> list[tuple[str, int]]:
    """A meeting's hosts by its month: the secretary always, the township head every third
    month, one of two group leaders by turns (names without accounts: people of the village)."""
    return ([("李书记", 4)] + ([("王镇长", 3)] if months_ago % 3 == 0 else [])
            + [(f"组长{months_ago % 2}", 4)])


def _meeting(w, village_id: int, months_ago: int) -> int:
    if (village_id, months_ago) not in w.meetings:
        meeting = meetings.plan(w.committees[village_id], village_id, "group",
                                f"{months_ago}个月前", _months_ago(months_ago), hosts=_hosts(months_ago))
        meetings.open_meeting(w.committees[village_id], meeting.id)
        w.meetings[village_id, months_ago] = meeting.id
    return w.meetings[village_id, months_ago]


def _direct(w, first: int) -> dict[int, int]:
    """{village id: households that checked in at a meeting held in it from month `first` on}."""
    reached: dict[int, set] = {v: set() for v in w.houses}
    for village_id, household_id, starts in db.session.execute(
            sa.select(Meeting.village_id, Attendance.household_id, Meeting.starts_at)
            .join(Attendance, Attendance.meeting_id == Meeting.id)
            .where(Meeting.village_id.in_(w.houses), Meeting.status != "planned")):
        if month_of(starts) >= first:
            reached[village_id].add(household_id)
    return {v: len(found) for v, found in reached.items()}


def _direct_cadres(w, first: int) -> dict[int, int]:
    """{village id: cadres (each level and cadre once) who hosted a meeting held in it from month
    `first` on}."""
    hosted: dict[int, set] = {v: set() for v in w.houses}
    for village_id, level, user_id, name, starts in db.session.execute(
            sa.select(Meeting.village_id, MeetingHost.level, MeetingHost.user_id, MeetingHost.name,
                      Meeting.starts_at).join(MeetingHost, MeetingHost.meeting_id == Meeting.id)
            .where(Meeting.village_id.in_(w.houses), Meeting.status != "planned")):
        if month_of(starts) >= first:
            hosted[village_id].add((level, user_id or f"{village_id}:{name}"))
    return {v: len(found) for v, found in hosted.items()}


def _sorted(w, first: date, last: date, descending: bool, column: str = "reached") -> list[tuple[int, int]]:
    rows, _more = reads.page(w._township, first, last, TODAY, column, descending, 0, 50)
    return [(r.village_id, getattr(r, column)) for r in rows]


def _assert_periods_to_now_agree(w):
    """Every period from 0 to 9 months ago to this month, sorted both ways: the villages in the
    order of their households reached, and of their cadres (ties by id), with the counts made
    from the check-ins and hosts."""
    this_month = NOW.date().replace(day=1)
    for back in range(10):
        first = _months_ago(back).date().replace(day=1)
        for column, direct in (("reached", _direct), ("cadres", _direct_cadres)):
            want = direct(w, first.year * 100 + first.month)
            for descending in (True, False):
                expected = sorted(want.items(), key=lambda item: (item[1], item[0]), reverse=descending)
                assert _sorted(w, first, this_month, descending, column) == expected, \
                    (column, back, descending)


VISITS = st.lists(st.tuples(st.sampled_from([0, 1]), st.integers(0, 8),
                            st.lists(st.integers(0, 6), min_size=1, max_size=4)),
                  min_size=1, max_size=8)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(visits=VISITS)
def test_random_check_ins_keep_every_period_to_now_equal_to_a_direct_count(w, visits):
    """Check-ins of one to four households at a time, at meetings of any of nine months entered
    in any order (earlier months after later ones, a household's first month after its latest),
    in two villages; the examples add to one world."""
    villages = [w.home.id, w.other.id]
    for which, months_ago, picks in visits:
        village_id = villages[which]
        houses = w.houses[village_id]
        meeting_id = _meeting(w, village_id, months_ago)
        present = set(db.session.scalars(sa.select(Attendance.household_id)
                                         .where(Attendance.meeting_id == meeting_id)))
        chosen = {houses[i % len(houses)] for i in picks} - present
        if chosen:
            meetings.tick(w.committees[village_id], meeting_id, sorted(chosen))
    _assert_periods_to_now_agree(w)
    assert recount.verify() == []


def test_a_period_ending_before_the_latest_month_counts_from_the_months(w):
    """A period that ends before a month with check-ins cannot read the households' latest
    months (one seen since counts as seen then): it sums the months' counts, and agrees."""
    meetings.tick(w.committee, _meeting(w, w.home.id, 3), [w.h1.id, w.h2.id])
    meetings.tick(w.committee, _meeting(w, w.home.id, 0), [w.h1.id, w.h3.id])
    first = _months_ago(3).date().replace(day=1)
    last = _months_ago(1).date().replace(day=1)
    assert dict(_sorted(w, first, last, True))[w.home.id] == 2  # h1 and h2, not h3
    assert dict(_sorted(w, first, NOW.date().replace(day=1), True))[w.home.id] == 3
    assert dict(_sorted(w, _months_ago(0).date().replace(day=1), NOW.date(), True))[w.home.id] == 2


def test_verify_names_a_wrong_or_missing_row_and_rebuild_mends_it(w, runner):
    meetings.tick(w.committee, _meeting(w, w.home.id, 2), [w.h1.id, w.h2.id])
    meetings.tick(w.committee, _meeting(w, w.home.id, 0), [w.h1.id])
    table = FigureReachLatest.__table__
    month = month_of(_months_ago(2))
    stored = dict(db.session.execute(sa.select(table.c.month, table.c.households)
                                     .where(table.c.village_id == w.home.id)).all())
    assert stored == {month: 2, month_of(NOW): 1}
    db.session.execute(sa.update(table).where(table.c.month == month_of(NOW)).values(households=5))
    db.session.execute(sa.delete(table).where(table.c.month == month))
    cadres = FigureCadreLatest.__table__
    # Hosts: 李书记 and 组长0 two months ago, 李书记, 王镇长 and 组长0 this month: latest now 3.
    assert dict(db.session.execute(sa.select(cadres.c.month, cadres.c.cadres)
                                   .where(cadres.c.village_id == w.home.id)).all()) == {month: 3, month_of(NOW): 3}
    db.session.execute(sa.update(cadres).where(cadres.c.month == month).values(cadres=1))
    db.session.commit()
    wrong = recount.verify()
    assert f"village {w.home.id} month {month}: cadres latest seen then or later 1 expected 3" in wrong
    assert f"village {w.home.id} month {month_of(NOW)}: households latest seen then or later " \
           f"5 expected 1" in wrong
    assert f"village {w.home.id} month {month}: households latest seen then or later none " \
           f"expected 2" in wrong
    assert runner.invoke(args=["figures", "rebuild"]).exit_code == 0
    assert recount.verify() == []
    _assert_periods_to_now_agree(w)
