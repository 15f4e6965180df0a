"""Keeping the figures rollup (app/models/figure.py) in step with meetings and issues.

The services call these inside their own transaction, as the last write of the unit of work (so
a rollup row lock is never held while waiting for another). Counters move by relative upsert
(`INSERT ... ON CONFLICT DO UPDATE SET n = n + :d`, on SQLite and PostgreSQL alike), so two
writers at once never lose a count; distinct rows are inserted `ON CONFLICT DO NOTHING`. An issue's
contribution is computed from its whole row, and a change adds (after - before) of the row it
locked, so any transition, reopening included, keeps the sums right.
"""
from datetime import datetime
from typing import Iterable, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Attendance, Issue, Meeting, MeetingHost
from app.models.figure import COUNTERS, FORMATS, FigureCadre, FigureMonth, FigureReach, FigureVillage

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


def _insert(table):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def add(village_id: int, month: int, deltas: dict) -> None:
    """Add `deltas` ({counter: n}) to a village's month, creating the row if needed."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    statement = _insert(months_table).values(village_id=village_id, month=month, **deltas)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["village_id", "month"],
        set_={k: months_table.c[k] + statement.excluded[k] for k in deltas}))


def households(village_id: int, delta: int) -> None:
    """Add `delta` to a village's count of active households (the register's services call this
    in their transaction when a household is added, imported, deactivated, reactivated or moved)."""
    if not delta:
        return
    table = FigureVillage.__table__
    statement = _insert(table).values(village_id=village_id, households=delta)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["village_id"], set_={"households": table.c.households + delta}))


def _distinct(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(_insert(model.__table__).values(rows).on_conflict_do_nothing())


def cadre_key(village_id: int, user_id: Optional[int], name: str) -> str:
    """A host's identity: the account, or a name without one as a person of the village."""
    return str(user_id) if user_id is not None else f"{village_id}:{name}"


def meeting_held(meeting: Meeting) -> None:
    """A meeting was opened: it counts as held in its month, with its hosts as cadres attending."""
    month = month_of(meeting.starts_at)
    hosts = db.session.execute(sa.select(MeetingHost.user_id, MeetingHost.name, MeetingHost.level)
                               .where(MeetingHost.meeting_id == meeting.id)).all()
    _distinct(FigureCadre, [{"village_id": meeting.village_id, "month": month, "level": level,
                             "cadre": cadre_key(meeting.village_id, user_id, name)}
                            for user_id, name, level in hosts])
    add(meeting.village_id, month, {f"meetings_{meeting.format}": 1})


def attended(meeting: Meeting, household_ids: Iterable[int]) -> None:
    """Households newly checked in to a meeting."""
    ids = sorted(set(household_ids))
    if not ids:
        return
    month = month_of(meeting.starts_at)
    _distinct(FigureReach, [{"village_id": meeting.village_id, "month": month, "household_id": h}
                            for h in ids])
    add(meeting.village_id, month, {"attendances": len(ids)})


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
