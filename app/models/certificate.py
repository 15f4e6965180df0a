"""Points certificates (积分证明): what was signed, for whom, by whom, and whether it was withdrawn.

The signed statement itself (the token the QR carries) is kept so the certificate's PDF can be
printed again unchanged; verification needs only the token and the site's public key, and this
table only to say whether a genuine certificate has since been withdrawn.
"""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.household import Household
from app.models.user import User


class Certificate(db.Model):
    """One issued certificate; its id is its number."""

    __tablename__ = "certificates"
    __table_args__ = (sa.Index("ix_certificates_village_id_id", "village_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), index=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"))
    issued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    token: so.Mapped[str] = so.mapped_column(sa.String(400), default="")
    withdrawn_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    withdrawn_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    withdraw_reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")

    household: so.Mapped[Household] = so.relationship()
    issued_by: so.Mapped[User] = so.relationship(foreign_keys=[issued_by_id])
    withdrawn_by: so.Mapped[Optional[User]] = so.relationship(foreign_keys=[withdrawn_by_id])
