"""The outbox of events, the in-app notifications they turn into, and the periodic jobs' runs."""
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

MAX_ATTEMPTS = 5  # an event that failed this often is given up (events.deliver, /metrics)


class OutboxEvent(db.Model):
    """Something that happened, written in the transaction that made it happen, delivered later."""

    __tablename__ = "outbox_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(64))
    payload: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    attempts: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    last_error: so.Mapped[str] = so.mapped_column(sa.String(500), default="")

    __table_args__ = (
        # The delivery job reads only what is still waiting, oldest first.
        sa.Index("ix_outbox_events_pending", "delivered_at", "id"),
    )


class Notification(db.Model):
    """An in-app message to one account; its text is rendered in the reader's language."""

    __tablename__ = "notifications"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(64))
    params: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    link: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    event_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("outbox_events.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    read_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_notifications_user_id_id", "user_id", "id"),
        # The menu's unread count is an index range on (user, read_at IS NULL).
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        # One event notifies one account at most once, whatever retries happen.
        sa.UniqueConstraint("event_id", "user_id", "kind", name="uq_notifications_event_user_kind"),
    )


class JobRun(db.Model):
    """One run of a periodic job for one period; the unique key lets only one machine run it."""

    __tablename__ = "job_runs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(64))
    period: so.Mapped[str] = so.mapped_column(sa.String(32))
    started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    finished_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="running")
    detail: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")

    __table_args__ = (sa.UniqueConstraint("name", "period", name="uq_job_runs_name_period"),)
