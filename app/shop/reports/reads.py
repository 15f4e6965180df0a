"""Reads for the shop's reports: a day's redemptions and their totals."""
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app import dates
from app.extensions import db
from app.models.shop import Redemption, RedemptionLine
from app.pagination import Page, keyset_page


def local_zone() -> ZoneInfo:
    """The scheme's time zone, in which days begin and end."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def today() -> date:
    """Today's date where the shop is."""
    return datetime.now(local_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants a local day begins and ends."""
    start = datetime.combine(day, time.min, tzinfo=local_zone())
    return start, start + timedelta(days=1)


def parse_day(text: Optional[str]) -> date:
    """A YYYY-MM-DD day from a query string; today when missing, malformed or years away."""
    try:
        day = date.fromisoformat(text) if text else today()
    except ValueError:
        return today()
    return day if dates.problem(day) is None else today()


def day_page(shop_id: int, day: date, cursor: Optional[str], limit: int) -> Page:
    """A day's redemptions at a shop, newest first, with households and lines loaded."""
    start, end = day_bounds(day)
    query = (sa.select(Redemption)
             .where(Redemption.shop_id == shop_id, Redemption.created_at >= start,
                    Redemption.created_at < end)
             .options(so.selectinload(Redemption.lines).joinedload(RedemptionLine.product),
                      so.joinedload(Redemption.household)))
    return keyset_page(query, [Redemption.id], cursor, limit, descending=True)


def day_totals(shop_id: int, day: date) -> SimpleNamespace:
    """A day's count of sales, points and items (voided ones apart)."""
    start, end = day_bounds(day)
    in_day = sa.and_(Redemption.shop_id == shop_id, Redemption.created_at >= start,
                     Redemption.created_at < end)
    live = sa.and_(in_day, Redemption.voided_at.is_(None))
    count, points = db.session.execute(sa.select(sa.func.count(Redemption.id),
                                                 sa.func.coalesce(sa.func.sum(Redemption.points), 0))
                                       .where(live)).one()
    items = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(RedemptionLine.quantity), 0))
                              .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
                              .where(live))
    voided = db.session.scalar(sa.select(sa.func.count(Redemption.id))
                               .where(in_day, Redemption.voided_at.is_not(None)))
    return SimpleNamespace(count=count, points=points, items=items, voided=voided)
