"""The figures rollup recounted from the source tables: `rebuild()` replaces it, `verify()` compares.

Used by `flask figures rebuild|verify`, the nightly `figures-verify` job, the demo loader (which
inserts history in bulk, past the services) and the tests. Issue counters come from the same
`rollup.contribution()` the services use; meetings' local months are computed once per meeting
and joined to attendances and hosts in SQL, through a temporary table.
"""
import bisect
from collections import defaultdict

import sqlalchemy as sa

from app.database import on_postgresql
from app.extensions import db
from app.figures import regions, rollup
from app.models import Attendance, Household, Meeting, MeetingHost, RegionLevel
from app.models.figure import (FigureCadre, FigureCadreCount, FigureCadreLatest, FigureMonth,
                               FigureMonthTotal, FigureReach, FigureReachCount, FigureReachLatest,
                               FigureVillage)

# The "previous month seen" counts recounted from the distinct rows (the migration that added
# them runs the same SQL): each row's previous month by lag(), then counted.
REACH_COUNTS = """
SELECT village_id, month, since, count(*) AS households FROM (
  SELECT village_id, month,
         coalesce(lag(month) OVER (PARTITION BY village_id, household_id ORDER BY month), 0) AS since
  FROM figure_reach) AS spans
GROUP BY village_id, month, since"""
# Each village's households (or cadres, each level and cadre once) by their latest month there,
# summed from the latest down: at each such month, those latest seen then or later
# (FigureReachLatest, FigureCadreLatest).
LATEST = """
SELECT village_id, latest, count(*) AS n FROM (
  SELECT village_id, max(month) AS latest FROM {table} GROUP BY village_id, {each}) AS each_one
GROUP BY village_id, latest"""
LATEST_SUMS = """
SELECT village_id, latest AS month, sum(n) OVER (PARTITION BY village_id ORDER BY latest DESC) AS n
FROM ({latest}) AS by_latest"""
_LATEST = (FigureReachLatest, FigureCadreLatest)


def _latest(model) -> str:
    """LATEST for a latest-month table, from its source rows."""
    table, each = model.source
    return LATEST.format(table=table, each=each)


# Every village with the regions above it (itself included), by their paths' prefix ranges.
CADRE_COUNTS = """
WITH under AS (
  SELECT a.id AS region_id, v.id AS village_id FROM regions a
  JOIN regions v ON v.path >= a.path AND v.path < substr(a.path, 1, length(a.path) - 1) || '0'
  WHERE v.level = {village} {only})
SELECT region_id, level, month, since, count(*) AS cadres FROM (
  SELECT region_id, level, month,
         coalesce(lag(month) OVER (PARTITION BY region_id, level, cadre ORDER BY month), 0) AS since
  FROM (SELECT DISTINCT u.region_id, c.level, c.cadre, c.month
        FROM under u JOIN figure_cadres c ON c.village_id = u.village_id) AS seen) AS spans
GROUP BY region_id, level, month, since"""


def _held_meetings() -> list[dict]:
    return [{"meeting_id": mid, "village_id": vid, "month": rollup.month_of(starts), "format": fmt}
            for mid, vid, fmt, starts in db.session.execute(
                sa.select(Meeting.id, Meeting.village_id, Meeting.format, Meeting.starts_at)
                .where(Meeting.status != "planned"))]


def _months(held: list[dict]) -> dict:
    """{(village_id, month): {counter: n}} recounted, all-zero months left out."""
    months = defaultdict(lambda: dict.fromkeys(rollup.FIELDS, 0))
    where = {m["meeting_id"]: (m["village_id"], m["month"]) for m in held}
    for m in held:
        months[m["village_id"], m["month"]][f"meetings_{m['format']}"] += 1
    for meeting_id, n in db.session.execute(sa.select(Attendance.meeting_id, sa.func.count())
                                            .group_by(Attendance.meeting_id)):
        if meeting_id in where:
            months[where[meeting_id]]["attendances"] += n
    for row in db.session.execute(sa.select(*rollup.ISSUE_COLUMNS)
                                  .execution_options(yield_per=2000)).mappings():
        counters = months[row["village_id"], rollup.month_of(row["created_at"])]
        for key, value in rollup.contribution(row).items():
            counters[key] += value
    return {key: value for key, value in months.items() if any(value.values())}


def _running(months: dict) -> dict:
    """{(village_id, month): {counter: n}} of FigureMonthTotal: each village's months' counters
    (`months`, as _months gives them) summed up to and including each of them."""
    totals: dict = {}
    village, total = None, {}
    for v, m in sorted(months):
        if v != village:
            village, total = v, dict.fromkeys(rollup.FIELDS, 0)
        total = {f: n + months[v, m][f] for f, n in total.items()}
        totals[v, m] = total
    return totals


def _totals_wrong(expected: dict) -> list[str]:
    """Where FigureMonthTotal disagrees with the running totals of the recounted months: a row
    that is not the sum of its village's months up to it, or a month with counters and no row
    (a period ending in it would read the row before)."""
    running = _running(expected)
    months: dict[int, list[int]] = defaultdict(list)
    for v, m in sorted(running):
        months[v].append(m)
    t = FigureMonthTotal.__table__.c
    stored = {(row[0], row[1]): dict(zip(rollup.FIELDS, row[2:])) for row in db.session.execute(
        sa.select(t.village_id, t.month, *(t[f] for f in rollup.FIELDS)))}
    wrong = []
    for v, m in sorted(set(stored) | set(running)):
        at = bisect.bisect_right(months[v], m)
        want = running[v, months[v][at - 1]] if at else dict.fromkeys(rollup.FIELDS, 0)
        have = stored.get((v, m))
        if have is None:
            wrong.append(f"village {v} month {m}: running totals missing")
        elif have != want:
            wrong.append(f"village {v} month {m}: running totals " + ", ".join(
                f"{f} {have[f]} expected {want[f]}" for f in rollup.FIELDS if have[f] != want[f]))
    return wrong


def _stored_months() -> dict:
    columns = [FigureMonth.__table__.c[f] for f in rollup.FIELDS]
    return {(row[0], row[1]): dict(zip(rollup.FIELDS, row[2:])) for row in db.session.execute(
        sa.select(FigureMonth.village_id, FigureMonth.month, *columns))
        if any(row[2:])}


def _with_held(held: list[dict], work):
    """Run `work(table)` with the held meetings' months in a temporary table."""
    table = sa.Table("tmp_figure_meetings", sa.MetaData(),
                     sa.Column("meeting_id", sa.Integer, primary_key=True),
                     sa.Column("village_id", sa.Integer), sa.Column("month", sa.Integer),
                     prefixes=["TEMPORARY"])
    connection = db.session.connection()
    table.create(connection)
    try:
        if held:
            db.session.execute(table.insert(), [{k: m[k] for k in ("meeting_id", "village_id", "month")}
                                                for m in held])
        return work(table)
    finally:
        table.drop(connection)


def _reach(held):
    return (sa.select(held.c.village_id, held.c.month, Attendance.household_id).distinct()
            .join(held, held.c.meeting_id == Attendance.meeting_id))


def _cadres(held):
    key = sa.func.coalesce(sa.cast(MeetingHost.user_id, sa.String),
                           sa.cast(held.c.village_id, sa.String) + sa.literal(":") + MeetingHost.name)
    return (sa.select(held.c.village_id, held.c.month, MeetingHost.level, key).distinct()
            .join(held, held.c.meeting_id == MeetingHost.meeting_id))


def _households() -> dict:
    """{village_id: (active households, people in them)} counted from the register (villages
    with none left out)."""
    return {v: (n, int(people)) for v, n, people in db.session.execute(
        sa.select(Household.village_id, sa.func.count(), sa.func.sum(Household.members))
        .where(Household.active.is_(True)).group_by(Household.village_id))}


def rebuild() -> int:
    """Replace the rollup with a recount (in the caller's transaction); the months written."""
    if on_postgresql():
        # Writers add to the rollup as their last step: with the tables locked they wait before
        # committing, so every change is either in the recount or added after it, never both.
        # The months table last, as the services take it last (no lock cycle).
        db.session.execute(sa.text("LOCK TABLE figure_villages, figure_reach, figure_reach_counts, "
                                   "figure_reach_latest, figure_cadres, figure_cadre_counts, "
                                   "figure_cadre_latest, figure_months, figure_month_totals, "
                                   "figure_region_reach, figure_region_months IN EXCLUSIVE MODE"))
    held = _held_meetings()
    months = _months(held)
    for model in (FigureMonth, FigureMonthTotal, FigureReachCount, FigureReachLatest, FigureReach,
                  FigureCadreCount, FigureCadreLatest, FigureCadre, FigureVillage):
        db.session.execute(sa.delete(model))
    counted = _households()
    if counted:
        db.session.execute(sa.insert(FigureVillage), [
            {"village_id": v, "households": n, "members": people}
            for v, (n, people) in counted.items()])
    if months:
        db.session.execute(sa.insert(FigureMonth), [
            {"village_id": v, "month": m, **counters} for (v, m), counters in months.items()])
        db.session.execute(sa.insert(FigureMonthTotal), [
            {"village_id": v, "month": m, **totals} for (v, m), totals in _running(months).items()])

    def distinct(table):
        db.session.execute(sa.insert(FigureReach).from_select(
            ["village_id", "month", "household_id"], _reach(table)))
        db.session.execute(sa.insert(FigureCadre).from_select(
            ["village_id", "month", "level", "cadre"], _cadres(table)))

    _with_held(held, distinct)
    db.session.execute(sa.insert(FigureReachCount).from_select(
        ["village_id", "month", "since", "households"], sa.text(REACH_COUNTS).columns()))
    for model in _LATEST:
        db.session.execute(sa.insert(model).from_select(
            ["village_id", "month", model.counter], sa.text(LATEST_SUMS.format(latest=_latest(model))).columns()))
    refresh_cadre_counts()
    regions.rebuild()
    return len(months)


def _cadre_counts_query(region_ids=None):
    only = "AND a.id IN :regions" if region_ids is not None else ""
    query = sa.text(CADRE_COUNTS.format(only=only, village=int(RegionLevel.VILLAGE)))
    if region_ids is not None:
        query = query.bindparams(sa.bindparam("regions", list(region_ids), expanding=True))
    return query


def refresh_cadre_counts(region_ids=None) -> None:
    """Recount the cadre counts of these regions (None: all) from the distinct rows, in the
    caller's transaction: after a village moves, its old and new regions above it."""
    table = FigureCadreCount.__table__
    delete = sa.delete(table)
    if region_ids is not None:
        region_ids = sorted(set(region_ids))
        if not region_ids:
            return
        delete = delete.where(table.c.region_id.in_(region_ids))
        if on_postgresql():  # no meeting opened meanwhile is missed or counted twice
            db.session.execute(sa.text("LOCK TABLE figure_cadres, figure_cadre_counts "
                                       "IN EXCLUSIVE MODE"))
    db.session.execute(delete)
    db.session.execute(sa.insert(table).from_select(
        ["region_id", "level", "month", "since", "cadres"],
        _cadre_counts_query(region_ids).columns()))


def _count_rows(model, key: tuple[str, ...], counter: str, recount) -> tuple[dict, dict]:
    table = model.__table__
    stored = {tuple(row[:-1]): row[-1] for row in db.session.execute(
        sa.select(*(table.c[k] for k in key), table.c[counter])) if row[-1]}
    expected = {tuple(row[:-1]): row[-1] for row in db.session.execute(recount)}
    return stored, expected


def verify(limit: int = 100) -> list[str]:
    """Where the rollup disagrees with a recount: one line per village month, at most `limit`.

    Runs in a transaction of its own; on PostgreSQL a REPEATABLE READ one, so every query sees
    the same snapshot while writers go on (SQLite's write transaction is one snapshot anyway)."""
    db.session.rollback()
    if on_postgresql():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    held = _held_meetings()
    expected, stored = _months(held), _stored_months()
    wrong = []
    counted = _households()
    kept = {v: (n, people) for v, n, people in db.session.execute(
        sa.select(FigureVillage.village_id, FigureVillage.households, FigureVillage.members))
        if n or people}
    for village in sorted(set(counted) | set(kept)):
        (n, people), (want, want_people) = kept.get(village, (0, 0)), counted.get(village, (0, 0))
        if n != want:
            wrong.append(f"village {village}: active households {n} expected {want}")
        if people != want_people:
            wrong.append(f"village {village}: people in active households {people} expected "
                         f"{want_people}")
    wrong += _totals_wrong(expected)
    for key in sorted(set(expected) | set(stored)):
        want, have = expected.get(key, {}), stored.get(key, {})
        diff = {f: (have.get(f, 0), want.get(f, 0)) for f in rollup.FIELDS
                if have.get(f, 0) != want.get(f, 0)}
        if diff:
            wrong.append(f"village {key[0]} month {key[1]}: " + ", ".join(
                f"{f} {h} expected {w}" for f, (h, w) in diff.items()))

    def distinct(table):
        found = []
        for name, recount, model, columns in (
                ("households reached", _reach(table), FigureReach, ("village_id", "month", "household_id")),
                ("cadres", _cadres(table), FigureCadre, ("village_id", "month", "level", "cadre"))):
            stored_rows = sa.select(*(model.__table__.c[c] for c in columns))
            for label, query in (("missing", sa.except_(recount, stored_rows)),
                                 ("extra", sa.except_(stored_rows, recount))):
                for row in db.session.execute(query.limit(limit)):
                    found.append(f"village {row[0]} month {row[1]}: {name} {label} {tuple(row[2:])}")
        return found

    try:
        wrong += _with_held(held, distinct)
        wrong += regions.verify(limit)
        for model in _LATEST:
            wrong += _latest_wrong(model)
        for name, model, key, counter, query in (
                ("households reached", FigureReachCount, ("village_id", "month", "since"),
                 "households", sa.text(REACH_COUNTS)),
                ("cadres", FigureCadreCount, ("region_id", "level", "month", "since"), "cadres",
                 _cadre_counts_query())):
            stored, expected = _count_rows(model, key, counter, query)
            for where in sorted(set(stored) | set(expected)):
                if len(wrong) >= limit:
                    break
                if stored.get(where, 0) != expected.get(where, 0):
                    wrong.append(f"{key[0].split('_')[0]} {where[0]} {name} counted by month "
                                 f"{where[1:]}: {stored.get(where, 0)} expected "
                                 f"{expected.get(where, 0)}")
    finally:
        db.session.rollback()
    return wrong[:limit]


def _latest_wrong(model) -> list[str]:
    """Where a latest-month table (FigureReachLatest, FigureCadreLatest) disagrees with the
    latest months in its source rows: a row whose count is not of those latest seen at its
    month or later, or a month that is one's latest without a row (a period from it would read
    the next one)."""
    latest: dict[int, dict[int, int]] = {}
    for village, month, n in db.session.execute(sa.text(_latest(model))):
        latest.setdefault(village, {})[month] = n
    counter = model.counter
    t = model.__table__.c
    stored = {(v, m): n for v, m, n in db.session.execute(sa.select(t.village_id, t.month, t[counter]))}
    wrong = []
    for village, month in sorted(set(stored) | {(v, m) for v, months in latest.items() for m in months}):
        want = sum(n for m, n in latest.get(village, {}).items() if m >= month)
        have = stored.get((village, month))
        if have != want:
            wrong.append(f"village {village} month {month}: {counter} latest seen then or later "
                         f"{'none' if have is None else have} expected {want}")
    return wrong
