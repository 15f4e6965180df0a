"""Reading meetings for the pages: lists in the user's scope, one meeting, its attendance.

Anything outside the user's scope is a 404, through app/access/scope.py.
"""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from app.access import lookup, scope
from app.extensions import db
from app.models import Attendance, Household, Meeting, Region, User
from app.pagination import Page, decode_cursor, encode_cursor


def meetings_page(user: User, status: Optional[str], cursor: Optional[str], size: int,
                  region_id: Optional[int] = None) -> Page:
    """The meetings the user may see (under a region), newest first; `status` planned, open, closed."""
    query = scope.meetings_query(user)
    if region_id is not None:
        query = query.where(Meeting.village_id.in_(scope.village_ids_under(user, region_id)))
    if status in ("planned", "open", "closed"):
        query = query.where(Meeting.status == status)
    return newest_first(query, Meeting.starts_at, Meeting.id, cursor, size)


def meeting_or_404(user: User, meeting_id: int) -> Meeting:
    """A meeting the user may see, or 404."""
    return lookup.scoped_or_404(scope.meetings_query(user), Meeting.id == meeting_id)


def attended(household_id: Optional[int], meeting_ids: list[int]) -> set[int]:
    """Which of these meetings the household attended."""
    if not household_id or not meeting_ids:
        return set()
    return set(db.session.scalars(sa.select(Attendance.meeting_id).where(
        Attendance.household_id == household_id, Attendance.meeting_id.in_(meeting_ids))))


def attendance(meeting_id: int) -> list[Attendance]:
    """The attendance list of a meeting with its households, by household number."""
    return list(db.session.scalars(
        sa.select(Attendance).join(Household, Household.id == Attendance.household_id)
        .where(Attendance.meeting_id == meeting_id).order_by(Household.number)
        .options(sa.orm.contains_eager(Attendance.household))))


def register(meeting: Meeting) -> list[tuple[Household, bool]]:
    """The village's active households, each with whether it is already checked in."""
    present = set(db.session.scalars(sa.select(Attendance.household_id)
                                     .where(Attendance.meeting_id == meeting.id)))
    households = db.session.scalars(sa.select(Household).where(
        Household.village_id == meeting.village_id, Household.active.is_(True))
        .order_by(Household.number))
    return [(h, h.id in present) for h in households]


def attendee_count(meeting_id: int) -> int:
    """How many households checked in."""
    return db.session.scalar(sa.select(sa.func.count(Attendance.id))
                             .where(Attendance.meeting_id == meeting_id)) or 0


def plannable_villages(user: User, limit: int = 2000) -> list[Region]:
    """The villages in which the user may plan meetings (a committee's own, officials' subtree)."""
    from app.access import permissions

    villages = db.session.scalars(scope.villages_query(user).order_by(Region.path).limit(limit))
    return [v for v in villages if permissions.may(user, "meetings.host", v.id)]


def newest_first(query: sa.Select, time_column, id_column, cursor: Optional[str], size: int) -> Page:
    """Keyset pages newest first by (time, id); the cursor carries the time as ISO text."""
    after = decode_cursor(cursor, 2)
    if after is not None:
        try:
            at, last_id = datetime.fromisoformat(after[0]), int(after[1])
        except (TypeError, ValueError):
            at = None
        if at is not None:
            query = query.where(sa.or_(time_column < at,
                                       sa.and_(time_column == at, id_column < last_id)))
    rows = list(db.session.scalars(query.order_by(time_column.desc(), id_column.desc())
                                   .limit(size + 1)))
    if len(rows) <= size:
        return Page(rows, None)
    rows = rows[:size]
    last = rows[-1]
    return Page(rows, encode_cursor([getattr(last, time_column.key).isoformat(),
                                     getattr(last, id_column.key)]))
