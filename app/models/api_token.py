"""API tokens: what a program sends as `Authorization: Bearer ...` instead of a session cookie."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class ApiToken(db.Model):
    """One signed-in program of one account; only the token's SHA-256 is stored, never the token."""

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # What the user agent called itself, so the owner can tell their tokens apart.
    label: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    last_used_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
