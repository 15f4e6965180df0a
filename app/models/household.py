"""Households: the unit that earns and spends points."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.region import Grid, Region


class Household(db.Model):
    """A household (户) of one village; `balance` and `score` are written only by the ledger service."""

    __tablename__ = "households"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"))
    grid_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("grids.id"), index=True)
    number: so.Mapped[str] = so.mapped_column(sa.String(32))
    head_name: so.Mapped[str] = so.mapped_column(sa.String(64))
    members: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)
    address: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    phone: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    active: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    balance: so.Mapped[int] = so.mapped_column(sa.Integer, default=0, server_default="0")
    score: so.Mapped[int] = so.mapped_column(sa.Integer, default=0, server_default="0")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    village: so.Mapped[Region] = so.relationship()
    grid: so.Mapped[Optional[Grid]] = so.relationship()

    __table_args__ = (
        # The register is listed and searched by number within a village.
        sa.UniqueConstraint("village_id", "number"),
        sa.CheckConstraint("members >= 1 AND members <= 99", name="members_range"),
        sa.Index("ix_households_village_head_name", "village_id", "head_name"),
        # Officials' totals count active households of many villages from the index alone.
        sa.Index("ix_households_village_active", "village_id", "active"),
    )

    def __repr__(self) -> str:
        return f"<Household {self.id} {self.number} {self.head_name}>"
