"""Issues (问题诉求) and suggestions (意见建议): the closed loop from raising to confirmation."""
import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.household import Household
from app.models.region import Region


class IssueKind(enum.StrEnum):
    """A problem or appeal, or the lighter suggestion."""

    ISSUE = "issue"
    SUGGESTION = "suggestion"


class IssueStatus(enum.StrEnum):
    """registered (立项) -> handling (处置) -> resolved, feedback given (反馈) -> confirmed."""

    REGISTERED = "registered"
    HANDLING = "handling"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"


OPEN_STATUSES = (IssueStatus.REGISTERED.value, IssueStatus.HANDLING.value)


class Issue(db.Model):
    """One issue or suggestion raised by (or for) a household of a village."""

    __tablename__ = "issues"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"))
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), index=True)
    raised_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    meeting_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("meetings.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), default=IssueKind.ISSUE.value)
    category: so.Mapped[str] = so.mapped_column(sa.String(32))
    description: so.Mapped[str] = so.mapped_column(sa.String(1000))
    photo: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=IssueStatus.REGISTERED.value)
    responsible_user_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id"), index=True)
    responsible_unit: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    deadline: so.Mapped[Optional[date]] = so.mapped_column(sa.Date)
    measures: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    supervised: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)
    public: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)
    adopted: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)
    satisfied: so.Mapped[Optional[bool]] = so.mapped_column(sa.Boolean)
    resolved_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    confirmed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    village: so.Mapped[Region] = so.relationship()
    household: so.Mapped[Household] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('issue','suggestion')", name="kind_known"),
        sa.CheckConstraint("status IN ('registered','handling','resolved','confirmed')",
                           name="status_known"),
        # A village's lists by status; the figures group by village over a period.
        sa.Index("ix_issues_village_id_status", "village_id", "status"),
        sa.Index("ix_issues_village_id_created_at", "village_id", "created_at"),
        # The overdue job reads open issues past their deadline.
        sa.Index("ix_issues_status_deadline", "status", "deadline"),
        # The figures count a region's overdue issues (by village and month raised) from the
        # index alone: a city's thousands of them without reading each row.
        sa.Index("ix_issues_overdue_village", "status", "deadline", "village_id", "created_at"),
        # An official's list of a city's issues, newest first: an index walk that stops after
        # a page (a township's uses village_id's index; the planner picks).
        sa.Index("ix_issues_created_at_id", "created_at", "id"),
    )

    def overdue_days(self, today: date) -> int:
        """Whole days past the deadline while not resolved; 0 otherwise."""
        if self.deadline is None or self.status not in OPEN_STATUSES:
            return 0
        return max(0, (today - self.deadline).days)

    def __repr__(self) -> str:
        return f"<Issue {self.id} {self.kind} {self.status}>"


class IssueEvent(db.Model):
    """A line of an issue's timeline: every change, readable by its raiser."""

    __tablename__ = "issue_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    issue_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("issues.id"))
    action: so.Mapped[str] = so.mapped_column(sa.String(16))
    status: so.Mapped[str] = so.mapped_column(sa.String(16))
    note: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_issue_events_issue_id_id", "issue_id", "id"),)


class IssueSettings(db.Model):
    """Per-village issue settings: days after resolution until silence counts as confirmation."""

    __tablename__ = "issue_settings"

    DEFAULT_CONFIRM_DAYS = 7

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    confirm_days: so.Mapped[int] = so.mapped_column(sa.Integer, default=7)

    __table_args__ = (sa.CheckConstraint("confirm_days BETWEEN 1 AND 90", name="confirm_days_range"),)
