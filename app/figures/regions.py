"""The regions' monthly figures (FigureRegionMonth, FigureRegionReach): each village's rollup
change added to the township, county and city above it, in the same transaction, so a region's
page reads a row a month instead of a row a village and month.

app/figures/rollup.py calls `added` after every change of a village's month and `households`
after every change of its active households; app/regions/manage.py calls `moved` when a village
changes township and `lock` before moving households between villages. Rows move by the same
relative upsert as the village rollup (`n = n + :d`, in region order), never read-modify-write.

`invited` (meetings held times the village's active households now) changes with both counts:
a meeting adds the households the village has, a household change adds its delta times the
meetings each month held. On PostgreSQL a writer takes a transaction-scoped advisory lock on
the village first, so of two writers at once the second reads what the first wrote (and a moved
village's writers read its new place); SQLite's writers are serialised anyway. The lock comes
before any other lock of the rollup, and `lock` takes several in id order: no cycle.
"""
from typing import Iterable

import sqlalchemy as sa

from app.database import add_to, on_postgresql
from app.extensions import db
from app.models import Region
from app.models.figure import (COUNTERS, FORMATS, FigureMonth, FigureReachCount, FigureRegionMonth,
                               FigureRegionReach, FigureVillage)

table = FigureRegionMonth.__table__
reach_table = FigureRegionReach.__table__
MEETINGS = tuple(f"meetings_{f}" for f in FORMATS)
FIELDS = MEETINGS + COUNTERS + ("invited",)
_VILLAGE_LOCK = 7303  # advisory lock namespace, beside rollup's 7301 and 7302


def lock(village_ids: Iterable[int]) -> None:
    """On PostgreSQL, wait for any other transaction changing these villages' figures."""
    if not on_postgresql():
        return
    for village_id in sorted(set(village_ids)):
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(_VILLAGE_LOCK, village_id)))


def _above(village_id: int) -> list[int]:
    """The regions above the village, read afresh (not from the session's cache: it may move)."""
    path = db.session.scalar(sa.select(Region.path).where(Region.id == village_id)) or ""
    return [int(p) for p in path.strip("/").split("/") if p][:-1]


def _add(region_ids: Iterable[int], rows: dict[int, dict]) -> None:
    """Add each month's deltas ({month: {field: n}}) to every region's month, in key order."""
    add_to(table, ["region_id", "month"],
           [dict(region_id=r, month=m, **{f: d.get(f, 0) for f in FIELDS})
            for r in sorted(set(region_ids)) for m, d in sorted(rows.items()) if any(d.values())])


def _add_reach(region_ids: Iterable[int], counts: dict[tuple[int, int], int]) -> None:
    """Add households reached ({(month, since): n}) to every region's counts, in key order."""
    add_to(reach_table, ["region_id", "month", "since"],
           [{"region_id": r, "month": m, "since": since, "households": n}
            for r in sorted(set(region_ids)) for (m, since), n in sorted(counts.items()) if n])


def reached(village_id: int, deltas: dict[tuple[int, int, int], int]) -> None:
    """The village's reach counts moved ({(village_id, month, since): n}): move its regions'."""
    counts = {}
    for (_village, month, since), n in deltas.items():
        counts[month, since] = counts.get((month, since), 0) + n
    _add_reach(_above(village_id), counts)


def _village_households(village_id: int) -> int:
    return db.session.scalar(sa.select(FigureVillage.households)
                             .where(FigureVillage.village_id == village_id)) or 0


def added(village_id: int, month: int, deltas: dict) -> None:
    """The village's month moved by `deltas` ({counter: n}): move the regions above it too."""
    lock([village_id])
    held = sum(deltas.get(k, 0) for k in MEETINGS)
    if held:
        deltas = dict(deltas, invited=held * _village_households(village_id))
    _add(_above(village_id), {month: deltas})


def _held(village_id: int) -> dict[int, int]:
    """{month: meetings held} of the village."""
    m = FigureMonth.__table__.c
    return {month: n for month, n in db.session.execute(
        sa.select(m.month, sum(m[k] for k in MEETINGS)).where(m.village_id == village_id)) if n}


def households(village_id: int, delta: int) -> None:
    """The village's active households moved by `delta`: every month it held meetings invites
    `delta` more households a meeting (called after the lock and the village's own count)."""
    _add(_above(village_id), {month: {"invited": delta * n} for month, n in _held(village_id).items()})


def moved(village_id: int, before: list[int]) -> None:
    """The village left the regions `before` (its old ancestors, itself excluded or not) for
    its new place: take its months from the regions it left and add them to those it joined."""
    lock([village_id])
    now = set(_above(village_id))
    left, joined = set(before) - now - {village_id}, now - set(before)
    if not (left or joined):
        return
    m = FigureMonth.__table__.c
    people = _village_households(village_id)
    months = {}
    for row in db.session.execute(sa.select(m.month, *(m[k] for k in MEETINGS + COUNTERS))
                                  .where(m.village_id == village_id)).mappings():
        months[row["month"]] = {k: row[k] for k in MEETINGS + COUNTERS}
        months[row["month"]]["invited"] = people * sum(row[k] for k in MEETINGS)
    _add(joined, months)
    _add(left, {month: {k: -n for k, n in d.items()} for month, d in months.items()})
    r = FigureReachCount.__table__.c
    counts = {(month, since): n for month, since, n in db.session.execute(
        sa.select(r.month, r.since, r.households).where(r.village_id == village_id))}
    _add_reach(joined, counts)
    _add_reach(left, {key: -n for key, n in counts.items()})


# The regions' months recounted from the villages' rows (for `flask figures rebuild|verify` and
# the migration that added them): every village's month added to each region above it.
RECOUNT = """
SELECT a.id AS region_id, f.month AS month, {sums},
       sum((f.meetings_group + f.meetings_forum + f.meetings_home_visit + f.meetings_reception
            + f.meetings_online) * coalesce(h.households, 0)) AS invited
FROM regions a {under}
JOIN figure_months f ON f.village_id = v.id
LEFT JOIN figure_villages h ON h.village_id = v.id
WHERE v.level = 4 AND a.level < 4
GROUP BY a.id, f.month"""
REACH_RECOUNT = """
SELECT a.id AS region_id, r.month AS month, r.since AS since, sum(r.households) AS households
FROM regions a {under}
JOIN figure_reach_counts r ON r.village_id = v.id
WHERE v.level = 4 AND a.level < 4
GROUP BY a.id, r.month, r.since"""
UNDER = "JOIN regions v ON v.path >= a.path AND v.path < substr(a.path, 1, length(a.path) - 1) || '0'"


def recount_query() -> sa.TextClause:
    """SELECT region_id, month and every field, recounted from the villages' rows."""
    sums = ", ".join(f"sum(f.{k}) AS {k}" for k in MEETINGS + COUNTERS)
    return sa.text(RECOUNT.format(sums=sums, under=UNDER))


def reach_recount_query() -> sa.TextClause:
    """SELECT region_id, month, since, households, recounted from the villages' counts."""
    return sa.text(REACH_RECOUNT.format(under=UNDER))


def rebuild() -> None:
    """Replace the regions' months with a recount (in the caller's transaction, after the
    village rollup is rebuilt and with its tables locked)."""
    db.session.execute(sa.delete(FigureRegionMonth))
    db.session.execute(sa.insert(FigureRegionMonth).from_select(
        ["region_id", "month", *FIELDS], recount_query().columns()))
    db.session.execute(sa.delete(FigureRegionReach))
    db.session.execute(sa.insert(FigureRegionReach).from_select(
        ["region_id", "month", "since", "households"], reach_recount_query().columns()))


def verify(limit: int = 100) -> list[str]:
    """Where the regions' months disagree with their villages' rows, all-zero rows as none."""
    key = (table.c.region_id, table.c.month)
    stored = {(r[0], r[1]): dict(zip(FIELDS, map(int, r[2:]))) for r in db.session.execute(
        sa.select(*key, *(table.c[f] for f in FIELDS))) if any(r[2:])}
    expected = {(r[0], r[1]): dict(zip(FIELDS, map(int, r[2:]))) for r in db.session.execute(
        recount_query()) if any(r[2:])}
    wrong = []
    for where in sorted(set(stored) | set(expected)):
        have, want = stored.get(where, {}), expected.get(where, {})
        diff = [f"{f} {have.get(f, 0)} expected {want.get(f, 0)}" for f in FIELDS
                if have.get(f, 0) != want.get(f, 0)]
        if diff:
            wrong.append(f"region {where[0]} month {where[1]}: " + ", ".join(diff))
        if len(wrong) >= limit:
            return wrong
    c = reach_table.c
    stored = {tuple(r[:3]): r[3] for r in db.session.execute(
        sa.select(c.region_id, c.month, c.since, c.households)) if r[3]}
    expected = {tuple(r[:3]): int(r[3]) for r in db.session.execute(reach_recount_query()) if r[3]}
    for where in sorted(set(stored) | set(expected)):
        if stored.get(where, 0) != expected.get(where, 0):
            wrong.append(f"region {where[0]} households reached counted by month {where[1:]}: "
                         f"{stored.get(where, 0)} expected {expected.get(where, 0)}")
        if len(wrong) >= limit:
            break
    return wrong
