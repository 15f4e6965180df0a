"""Reading meetings for the pages: lists in the user's scope, one meeting, its attendance.

Anything outside the user's scope is a 404, through app/access/scope.py.
"""
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.access import lookup, permissions, scope
from app.extensions import db
from app.models import Attendance, Household, Meeting, Region, User
from app.pagination import Page, newest_first


def meetings_page(user: User, status: Optional[str], cursor: Optional[str], size: int,
                  region_id: Optional[int] = None, villages: bool = False) -> Page:
    """The meetings the user may see (under a region), newest first; `status` planned, open, closed;
    `villages`: with their villages, for a page that names them."""
    query = scope.meetings_query(user)
    if region_id is not None:
        query = query.where(Meeting.village_id.in_(scope.village_ids_under(user, region_id)))
    if status in ("planned", "open", "closed"):
        query = query.where(Meeting.status == status)
    if villages:  # the page's villages in one query, not one by one (50 for an official's page)
        query = query.options(so.selectinload(Meeting.village))
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
    villages = db.session.scalars(scope.villages_query(user).order_by(Region.path).limit(limit))
    return [v for v in villages if permissions.may(user, "meetings.host", v.id)]

