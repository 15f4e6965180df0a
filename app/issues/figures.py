"""The figures officials are judged by, per region and period, for every village under it.

Each figure is one GROUP BY village_id over an indexed range (meetings by village and time,
issues by village and time, attendance through its meeting), restricted to the region's villages
by their path range, so the page costs a few queries whatever the size of the city.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa

from app.extensions import db
from app.models import (Attendance, Household, Issue, IssueStatus, Meeting, MeetingHost, Region,
                        RegionLevel)
from app.models.issue import OPEN_STATUSES
from app.models.region import subtree_clause

FORMATS = ("group", "forum", "home_visit", "reception", "online")
LEVELS = (1, 2, 3, 4)
COLUMNS = ("meetings", "cadres", "reached", "attendance_rate", "issues", "suggestions", "resolved",
           "on_time", "overdue", "avg_days", "satisfaction")


@dataclass
class Row:
    """One village's figures (or the region's totals)."""

    village_id: Optional[int]
    name: str
    households: int = 0
    by_format: dict = field(default_factory=lambda: dict.fromkeys(FORMATS, 0))
    by_level: dict = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    attendances: int = 0
    reached: int = 0
    issues: int = 0
    suggestions: int = 0
    resolved: int = 0
    on_time: int = 0
    overdue: int = 0
    resolve_days: float = 0.0
    answered: int = 0
    satisfied: int = 0

    @property
    def meetings(self) -> int:
        return sum(self.by_format.values())

    @property
    def cadres(self) -> int:
        return sum(self.by_level.values())

    @property
    def attendance_rate(self) -> Optional[float]:
        """Check-ins per household invited (every active household, to every meeting held)."""
        invited = self.meetings * self.households
        return self.attendances / invited if invited else None

    @property
    def avg_days(self) -> Optional[float]:
        return self.resolve_days / self.resolved if self.resolved else None

    @property
    def satisfaction(self) -> Optional[float]:
        return self.satisfied / self.answered if self.answered else None

    def value(self, column: str):
        """The value of a column, for sorting (missing ones last)."""
        return getattr(self, column)


def _villages(root: Region) -> sa.Select:
    query = sa.select(Region.id).where(Region.level == RegionLevel.VILLAGE)
    return query if root is None else query.where(subtree_clause(Region.path, root.path))


def _days(start, end):
    """Days between two timestamps, in SQL on either database."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.julianday(end) - sa.func.julianday(start)
    return sa.extract("epoch", end - start) / 86400.0


def _held(villages, start: datetime, end: datetime):
    return (Meeting.village_id.in_(villages), Meeting.status != "planned",
            Meeting.starts_at >= start, Meeting.starts_at < end)


def _cadre():
    # A host linked to an account is that account; an unlinked name is a person of its village.
    return sa.func.coalesce(sa.cast(MeetingHost.user_id, sa.String),
                            sa.cast(Meeting.village_id, sa.String) + sa.literal(":") + MeetingHost.name)


def figures(root: Optional[Region], start: datetime, end: datetime, today: date) -> tuple[list[Row], Row]:
    """Every village's figures under `root` (None: everything) for [start, end), and the totals."""
    villages = _villages(root)
    rows = {vid: Row(vid, name) for vid, name in db.session.execute(
        sa.select(Region.id, Region.name).where(Region.id.in_(villages)))}

    def each(query):
        for record in db.session.execute(query):
            if record[0] in rows:
                yield rows[record[0]], record[1:]

    for row, (n,) in each(sa.select(Household.village_id, sa.func.count()).where(
            Household.village_id.in_(villages), Household.active.is_(True))
            .group_by(Household.village_id)):
        row.households = n
    for row, (fmt, n) in each(sa.select(Meeting.village_id, Meeting.format, sa.func.count())
                              .where(*_held(villages, start, end))
                              .group_by(Meeting.village_id, Meeting.format)):
        row.by_format[fmt] = n
    for row, (level, n) in each(sa.select(Meeting.village_id, MeetingHost.level,
                                          sa.func.count(sa.distinct(_cadre())))
                                .join(Meeting, Meeting.id == MeetingHost.meeting_id)
                                .where(*_held(villages, start, end))
                                .group_by(Meeting.village_id, MeetingHost.level)):
        row.by_level[level] = n
    for row, (n, reached) in each(sa.select(Meeting.village_id, sa.func.count(Attendance.id),
                                            sa.func.count(sa.distinct(Attendance.household_id)))
                                  .join(Meeting, Meeting.id == Attendance.meeting_id)
                                  .where(*_held(villages, start, end)).group_by(Meeting.village_id)):
        row.attendances, row.reached = n, reached
    done = Issue.status.in_((IssueStatus.RESOLVED, IssueStatus.CONFIRMED))
    on_time = sa.and_(done, Issue.deadline.is_not(None),
                      sa.func.date(Issue.resolved_at) <= Issue.deadline)
    for row, values in each(
            sa.select(Issue.village_id,
                      sa.func.count().filter(Issue.kind == "issue"),
                      sa.func.count().filter(Issue.kind == "suggestion"),
                      sa.func.count().filter(done), sa.func.count().filter(on_time),
                      sa.func.coalesce(sa.func.sum(sa.case((done, _days(Issue.created_at,
                                                                        Issue.resolved_at)))), 0),
                      sa.func.count(Issue.satisfied), sa.func.count().filter(Issue.satisfied.is_(True)))
            .where(Issue.village_id.in_(villages), Issue.created_at >= start, Issue.created_at < end)
            .group_by(Issue.village_id)):
        (row.issues, row.suggestions, row.resolved, row.on_time, days, row.answered,
         row.satisfied) = values
        row.resolve_days = float(days or 0)
    for row, (n,) in each(sa.select(Issue.village_id, sa.func.count()).where(
            Issue.village_id.in_(villages), Issue.status.in_(OPEN_STATUSES), Issue.deadline < today)
            .group_by(Issue.village_id)):
        row.overdue = n
    return list(rows.values()), _totals(rows.values(), villages, start, end)


def _totals(rows, villages, start, end) -> Row:
    total = Row(None, "")
    for row in rows:
        for name in ("households", "attendances", "reached", "issues", "suggestions", "resolved",
                     "on_time", "overdue", "resolve_days", "answered", "satisfied"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        for fmt in FORMATS:
            total.by_format[fmt] += row.by_format[fmt]
    # A cadre who visited several villages counts once in the region.
    for level, n in db.session.execute(
            sa.select(MeetingHost.level, sa.func.count(sa.distinct(_cadre())))
            .join(Meeting, Meeting.id == MeetingHost.meeting_id)
            .where(*_held(villages, start, end)).group_by(MeetingHost.level)):
        total.by_level[level] = n
    return total


def sort_rows(rows: list[Row], column: str, descending: bool) -> list[Row]:
    """Rows by a column of COLUMNS (or by name); villages without a value go last."""
    if column not in COLUMNS:
        from app.i18n import name_key

        return sorted(rows, key=lambda r: name_key(r.name), reverse=descending)
    present = [r for r in rows if r.value(column) is not None]
    missing = [r for r in rows if r.value(column) is None]
    return sorted(present, key=lambda r: (r.value(column), r.village_id), reverse=descending) + missing
