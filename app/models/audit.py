"""The audit log: who did what to whom, when and from where."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class AuditLog(db.Model):
    """One security-relevant event: sign-in, failed sign-in, account and role changes."""

    __tablename__ = "audit_log"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    action: so.Mapped[str] = so.mapped_column(sa.String(32), index=True)
    target: so.Mapped[str] = so.mapped_column(sa.String(128), default="")
    detail: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    address: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
