"""Night-talk meetings (夜谈会): the meeting, its hosts and its attendance list (签到)."""
import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.household import Household
from app.models.region import Region


class MeetingFormat(enum.StrEnum):
    """The five formats named by the city's programme."""

    GROUP = "group"            # 集中畅谈
    FORUM = "forum"            # 专题座谈
    HOME_VISIT = "home_visit"  # 入户访谈
    RECEPTION = "reception"    # 定点接谈
    ONLINE = "online"          # 随机e谈


# The formats' names as pages, forms and the figures show them (below all of them, in the model).
FORMATS = [("group", _l("Open group talk (集中畅谈)")), ("forum", _l("Themed forum (专题座谈)")),
           ("home_visit", _l("Home visit (入户访谈)")), ("reception", _l("Reception hours (定点接谈)")),
           ("online", _l("Online talk (随机e谈)"))]


class MeetingStatus(enum.StrEnum):
    """A meeting is planned, then open (check-in possible), then closed (points awarded)."""

    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class CheckInMethod(enum.StrEnum):
    """How an attendance was recorded."""

    CODE = "code"          # the household scanned the meeting's QR code
    REGISTER = "register"  # the committee ticked it from the register
    CARD = "card"          # the committee scanned the household's card or payment code


class Meeting(db.Model):
    """A night-talk meeting of one village."""

    __tablename__ = "meetings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"))
    format: so.Mapped[str] = so.mapped_column(sa.String(16))
    topic: so.Mapped[str] = so.mapped_column(sa.String(200))
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    place: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=MeetingStatus.PLANNED.value)
    minutes: so.Mapped[str] = so.mapped_column(sa.String(4000), default="")
    # A photo of the meeting: a stored photo's file name (app/ledger/photos.py), never a path.
    photo: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64), index=True)
    planned_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    opened_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    closed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    closed_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    village: so.Mapped[Region] = so.relationship()
    hosts: so.Mapped[list["MeetingHost"]] = so.relationship(
        back_populates="meeting", order_by="MeetingHost.level", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("format IN ('group','forum','home_visit','reception','online')",
                           name="format_known"),
        sa.CheckConstraint("status IN ('planned','open','closed')", name="status_known"),
        # A village's meetings by time; officials' figures group by village over a period.
        sa.Index("ix_meetings_village_id_starts_at", "village_id", "starts_at"),
        sa.Index("ix_meetings_status_starts_at", "status", "starts_at"),
        # An official's list of a city's meetings, newest first (as issues' created_at, id).
        sa.Index("ix_meetings_starts_at_id", "starts_at", "id"),
    )

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.format} {self.status}>"


class MeetingHost(db.Model):
    """A cadre or official who hosts a meeting, with the level they come from."""

    __tablename__ = "meeting_hosts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    meeting_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("meetings.id"), index=True)
    user_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(64))
    # RegionLevel: 1 city, 2 county, 3 township, 4 village.
    level: so.Mapped[int] = so.mapped_column(sa.SmallInteger)

    meeting: so.Mapped[Meeting] = so.relationship(back_populates="hosts")

    __table_args__ = (
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        sa.UniqueConstraint("meeting_id", "name", "level"),
    )


class Attendance(db.Model):
    """A household's check-in at a meeting: once per household, with who recorded it and how."""

    __tablename__ = "attendances"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    meeting_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("meetings.id"))
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), index=True)
    method: so.Mapped[str] = so.mapped_column(sa.String(16))
    recorded_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    household: so.Mapped[Household] = so.relationship()

    __table_args__ = (
        # The last line against a double check-in, however often the code is opened.
        sa.UniqueConstraint("meeting_id", "household_id"),
        sa.CheckConstraint("method IN ('code','register','card')", name="method_known"),
    )
