"""Rulebook templates (积分细则模板): a county's or township's standard rulebook that villages adopt."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.region import Region


class RulebookTemplate(db.Model):
    """A standard rulebook published for every village under `region`, with star thresholds."""

    __tablename__ = "rulebook_templates"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    region_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    star2: so.Mapped[int] = so.mapped_column(sa.Integer, default=100)
    star3: so.Mapped[int] = so.mapped_column(sa.Integer, default=200)
    star4: so.Mapped[int] = so.mapped_column(sa.Integer, default=400)
    star5: so.Mapped[int] = so.mapped_column(sa.Integer, default=800)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    region: so.Mapped[Region] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("region_id", "name"),)


class TemplateRule(db.Model):
    """A line of a template; villages' rules copied from it point back here to stay in sync."""

    __tablename__ = "template_rules"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    template_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("rulebook_templates.id"))
    category: so.Mapped[str] = so.mapped_column(sa.String(64))
    sort_order: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    code: so.Mapped[str] = so.mapped_column(sa.String(32))
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    description: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    points: so.Mapped[int] = so.mapped_column(sa.Integer)
    limit_count: so.Mapped[Optional[int]] = so.mapped_column(sa.Integer)
    limit_period: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    # A line dropped from the template is kept (villages' rules point at it) but inactive.
    active: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)

    __table_args__ = (sa.UniqueConstraint("template_id", "code"),
                      sa.CheckConstraint("points <> 0", name="points_nonzero"))
