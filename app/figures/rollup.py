"""Keeping the figures rollup (app/models/figure.py) in step with meetings and issues.

The services call these inside their own transaction, as the last write of the unit of work (so
a rollup row lock is never held while waiting for another). Counters move by relative upsert
(`INSERT ... ON CONFLICT DO UPDATE SET n = n + :d`, on SQLite and PostgreSQL alike), so two
writers at once never lose a count; distinct rows are inserted `ON CONFLICT DO NOTHING`. An issue's
contribution is computed from its whole row, and a change adds (after - before) of the row it
locked, so any transition, reopening included, keeps the sums right.

A household's or cadre's first distinct row also moves the "previous month seen" counts the page
sums (figure_reach_counts, figure_cadre_counts): finding the months before and after the new one
must not race another writer adding the same household or cadre in another month, so on
PostgreSQL those writers take a transaction-scoped advisory lock on it first (in sorted order, so
two never wait on each other); SQLite's writers are serialised anyway.

Every change of a village's month is also added to the regions above it (app/figures/regions.py),
so a city's page reads a row a month. On PostgreSQL every writer of a village's figures first
takes that village's advisory lock (regions.lock), before any other lock of the rollup.
"""
import zlib
from collections import Counter
from datetime import datetime
from typing import Iterable, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.database import add_to, on_postgresql
from app.extensions import db
from app.figures import regions
from app.models import Issue, Meeting, MeetingHost, Region
from app.models.figure import (COUNTERS, FORMATS, FigureCadre, FigureCadreCount, FigureCadreLatest,
                               FigureMonth, FigureMonthTotal, FigureReach, FigureReachCount,
                               FigureReachLatest, FigureVillage)

months_table = FigureMonth.__table__
FIELDS = tuple(f"meetings_{f}" for f in FORMATS) + COUNTERS
DONE = ("resolved", "confirmed")


def zone() -> ZoneInfo:
    """The scheme's time zone: months and deadlines are local."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def month_of(moment: datetime) -> int:
    """The local month of a timestamp, as YYYYMM."""
    local = moment.astimezone(zone())
    return local.year * 100 + local.month


def month_after(month: int) -> int:
    """The month after a YYYYMM month (December's is the next January)."""
    return month + 89 if month % 100 == 12 else month + 1


def month_before(month: int) -> int:
    """The month before a YYYYMM month (January's is the last December)."""
    return month - 89 if month % 100 == 1 else month - 1


def _insert(table):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def add(village_id: int, month: int, deltas: dict) -> None:
    """Add `deltas` ({counter: n}) to a village's month, creating the row if needed, and to the
    months of the regions above it."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    regions.lock([village_id])  # before the village's row: every writer of the village does
    add_to(months_table, ["village_id", "month"], [dict(village_id=village_id, month=month, **deltas)])
    _totals_added(village_id, month, deltas)
    regions.added(village_id, month, deltas)


def _totals_added(village_id: int, month: int, deltas: dict) -> None:
    """Add `deltas` to the village's running totals (FigureMonthTotal) of `month` and every
    later month, giving `month` a row (the totals before it) if it had none. The caller holds
    the village's lock."""
    table = FigureMonthTotal.__table__
    t = table.c
    if db.session.scalar(sa.select(t.month).where(t.village_id == village_id, t.month == month)) is None:
        before = db.session.execute(sa.select(*(t[f] for f in FIELDS)).where(
            t.village_id == village_id, t.month < month).order_by(t.month.desc()).limit(1)).first()
        db.session.execute(sa.insert(table).values(village_id=village_id, month=month,
                                                   **dict(zip(FIELDS, before or ()))))
    db.session.execute(sa.update(table).where(t.village_id == village_id, t.month >= month)
                       .values({t[f]: t[f] + n for f, n in deltas.items()}))


def households(village_id: int, delta: int, members: int) -> None:
    """Add `delta` to a village's count of active households and `members` to the people in them
    (the register's services call this in their transaction when a household is added, imported,
    changed, deactivated, reactivated or moved)."""
    if not delta and not members:
        return
    regions.lock([village_id])
    add_to(FigureVillage.__table__, ["village_id"],
           [{"village_id": village_id, "households": delta, "members": members}])
    if delta:
        regions.households(village_id, delta)


# Advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)).
_REACH_LOCK, _CADRE_LOCK = 7301, 7302


def _serialize(namespace: int, keys: Iterable[int]) -> None:
    """On PostgreSQL, wait for any other transaction adding the same households or cadres."""
    if not on_postgresql():
        return
    for key in sorted(set(keys)):
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(namespace, key)))


def _new_rows(model, rows: list[dict], returning) -> list:
    """Insert the distinct rows that are not there yet; the given columns of those inserted."""
    if not rows:
        return []
    return db.session.execute(_insert(model.__table__).values(rows).on_conflict_do_nothing()
                              .returning(*returning)).all()


def _step(deltas: Counter, key: tuple, month: int, before: Optional[int], after: Optional[int]) -> None:
    """A thing first seen in `month` between its months `before` and `after` (None: none): it
    counts in `month` since `before`, and `after` now counts since `month` instead."""
    deltas[key + (month, before or 0)] += 1
    if after is not None:
        deltas[key + (after, before or 0)] -= 1
        deltas[key + (after, month)] += 1


def _add_counts(model, keys: tuple[str, ...], counter: str, deltas: Counter) -> None:
    """Add the deltas ({key values: n}) to the count table, in key order (no lock cycles)."""
    add_to(model.__table__, list(keys),
           [dict(zip(keys, key), **{counter: n}) for key, n in sorted(deltas.items()) if n])


def _around(months: Iterable[int], month: int) -> tuple[Optional[int], Optional[int]]:
    """The latest month before `month` and the earliest after it."""
    months = list(months)
    return (max((m for m in months if m < month), default=None),
            min((m for m in months if m > month), default=None))


def cadre_key(village_id: int, user_id: Optional[int], name: str) -> str:
    """A host's identity: the account, or a name without one as a person of the village."""
    return str(user_id) if user_id is not None else f"{village_id}:{name}"


def _cadre_lock(level: int, cadre: str) -> int:
    return zlib.crc32(f"{level}:{cadre}".encode()) - 2**31  # into PostgreSQL's int range


def meeting_held(meeting: Meeting) -> None:
    """A meeting was opened: it counts as held in its month, with its hosts as cadres attending."""
    month = month_of(meeting.starts_at)
    regions.lock([meeting.village_id])  # before the cadres' locks, as every writer of the village
    hosts = db.session.execute(sa.select(MeetingHost.user_id, MeetingHost.name, MeetingHost.level)
                               .where(MeetingHost.meeting_id == meeting.id)).all()
    seen = {(level, cadre_key(meeting.village_id, user_id, name)) for user_id, name, level in hosts}
    _serialize(_CADRE_LOCK, (_cadre_lock(*pair) for pair in seen))
    new = _new_rows(FigureCadre, [{"village_id": meeting.village_id, "month": month, "level": level,
                                   "cadre": cadre} for level, cadre in sorted(seen)],
                    (FigureCadre.level, FigureCadre.cadre))
    if new:
        village = db.session.get(Region, meeting.village_id)
        _cadres_seen(village, month, new)
    add(meeting.village_id, month, {f"meetings_{meeting.format}": 1})


def _cadres_seen(village: Region, month: int, new: list) -> None:
    """Cadres new to the village's month: move the counts of the village and every region above
    it where the cadre had not been seen that month."""
    ids = village.ancestor_ids
    prefixes = {region_id: "/" + "/".join(village.path.strip("/").split("/")[:n + 1]) + "/"
                for n, region_id in enumerate(ids)}
    deltas = Counter()
    latest: Counter = Counter()  # the village's cadres now latest seen in `month`, by their latest before
    for level, cadre in new:
        seen = db.session.execute(
            sa.select(FigureCadre.village_id, FigureCadre.month, Region.path)
            .join(Region, Region.id == FigureCadre.village_id)
            .where(FigureCadre.cadre == cadre, FigureCadre.level == level)).all()
        others = [(path, m) for village_id, m, path in seen
                  if not (village_id == village.id and m == month)]
        for region_id, prefix in prefixes.items():
            months = {m for path, m in others if path.startswith(prefix)}
            if month not in months:  # else another village of the region had it this month
                before, after = _around(months, month)
                _step(deltas, (region_id, level), month, before, after)
                if region_id == village.id and after is None:
                    latest[before or 0] += 1
    _add_counts(FigureCadreCount, ("region_id", "level", "month", "since"), "cadres", deltas)
    _latest_moved(FigureCadreLatest, village.id, month, latest)


def attended(meeting: Meeting, household_ids: Iterable[int]) -> None:
    """Households newly checked in to a meeting."""
    ids = sorted(set(household_ids))
    if not ids:
        return
    month = month_of(meeting.starts_at)
    village_id = meeting.village_id
    regions.lock([village_id])  # before the households' locks, as every writer of the village
    _serialize(_REACH_LOCK, ids)
    new = [h for (h,) in _new_rows(FigureReach, [{"village_id": village_id, "month": month,
                                                  "household_id": h} for h in ids],
                                   (FigureReach.household_id,))]
    if new:
        deltas = Counter()
        latest: Counter = Counter()  # households now latest seen in `month`, by their latest before
        reach = FigureReach.__table__.c
        for _h, before, after in db.session.execute(
                sa.select(reach.household_id,
                          sa.func.max(sa.case((reach.month < month, reach.month))),
                          sa.func.min(sa.case((reach.month > month, reach.month))))
                .where(reach.village_id == village_id, reach.household_id.in_(new))
                .group_by(reach.household_id)):
            _step(deltas, (village_id,), month, before, after)
            if after is None:
                latest[before or 0] += 1
        _add_counts(FigureReachCount, ("village_id", "month", "since"), "households", deltas)
        _latest_moved(FigureReachLatest, village_id, month, latest)
        regions.reached(village_id, deltas)
    add(village_id, month, {"attendances": len(ids)})


def _latest_moved(model, village_id: int, month: int, moved: Counter) -> None:
    """Households (FigureReachLatest) or cadres (FigureCadreLatest) whose latest month in the
    village is now `month`, counted by their latest before it (0: none): the table gains them
    at each of its months after that one up to `month`, and gets a row at `month` if it had
    none, first with those latest seen later (the value of its next row: one latest seen
    between the two would have a row there). The caller holds the village's lock."""
    if not moved:
        return
    table, counter = model.__table__, model.counter
    t = table.c
    following = db.session.execute(sa.select(t.month, t[counter]).where(
        t.village_id == village_id, t.month >= month).order_by(t.month).limit(1)).first()
    if following is None or following.month != month:
        db.session.execute(sa.insert(table).values(
            {"village_id": village_id, "month": month, counter: following[1] if following else 0}))
    for before, n in sorted(moved.items()):
        db.session.execute(sa.update(table).where(t.village_id == village_id, t.month > before,
                                                  t.month <= month)
                           .values({t[counter]: t[counter] + n}))


ISSUE_COLUMNS = (Issue.id, Issue.village_id, Issue.kind, Issue.status, Issue.deadline,
                 Issue.satisfied, Issue.created_at, Issue.resolved_at)


def locked(issue_id: int) -> Optional[dict]:
    """The issue's row as the figures see it, locked until the transaction ends."""
    row = db.session.execute(sa.select(*ISSUE_COLUMNS).where(Issue.id == issue_id)
                             .with_for_update()).mappings().first()
    return dict(row) if row is not None else None


def contribution(row) -> dict:
    """What one issue adds to the counters of its village's month of raising."""
    done = row["status"] in DONE and row["resolved_at"] is not None
    on_time = (done and row["deadline"] is not None
               and row["resolved_at"].astimezone(zone()).date() <= row["deadline"])
    seconds = round((row["resolved_at"] - row["created_at"]).total_seconds()) if done else 0
    return {"issues": int(row["kind"] == "issue"), "suggestions": int(row["kind"] == "suggestion"),
            "resolved": int(done), "on_time": int(on_time), "resolve_seconds": seconds,
            "answered": int(row["satisfied"] is not None), "satisfied": int(row["satisfied"] is True)}


def issue_changed(before: Optional[dict], issue_id: int) -> None:
    """Move the counters from the issue's row `before` (None: it is new) to its row now."""
    after = db.session.execute(sa.select(*ISSUE_COLUMNS).where(Issue.id == issue_id)).mappings().one()
    now, was = contribution(after), contribution(before) if before else {}
    add(after["village_id"], month_of(after["created_at"]),
        {k: now[k] - was.get(k, 0) for k in now})
