"""The monthly statement of a shop's stock and points, and the shop's .xlsx downloads.

Per product: opening stock, received by source, redeemed, voided back, counted, held for
order-ahead vouchers, closing stock,
and whether the closing stock the movements add up to agrees with the stock the last movement
recorded (a difference is flagged). Points redeemed in the month, voided ones apart.
"""
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app import dates
from app.extensions import db
from app.models.shop import Product, Redemption, RedemptionLine, StockMovement
from app.shop.reports import reads as reports
from app.spreadsheets import write


@dataclass
class StatementLine:
    """One product's month."""

    product: Product
    opening: int = 0
    received: dict = field(default_factory=lambda: {"village": 0, "donation": 0, "returned": 0})
    redeemed: int = 0
    voided: int = 0
    counted: int = 0
    held: int = 0  # net of reserved (-) and released (+): goods held for order-ahead vouchers
    recorded: Optional[int] = None  # stock after the month's last movement

    @property
    def closing(self) -> int:
        """Opening stock plus every movement of the month."""
        return (self.opening + sum(self.received.values()) - self.redeemed + self.voided
                + self.counted + self.held)

    @property
    def difference(self) -> int:
        """How far the stock the last movement recorded is from the sum of the movements."""
        return 0 if self.recorded is None else self.recorded - self.closing


def parse_month(text: Optional[str]) -> date:
    """The first day of a YYYY-MM month; this month when missing or malformed."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        first = date(year, month, 1)
        if dates.problem(first) is None:  # not a month of 1066 or 9999
            return first
    except ValueError:
        pass
    return reports.today().replace(day=1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The instants the local month begins and ends."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    zone = reports.local_zone()
    return (datetime.combine(month, time.min, tzinfo=zone),
            datetime.combine(following, time.min, tzinfo=zone))


def monthly(shop_id: int, month: date) -> tuple[list[StatementLine], dict]:
    """Every product's month and the month's points: ({redeemed, voided, count})."""
    start, end = month_bounds(month)
    lines = {p.id: StatementLine(p) for p in db.session.scalars(
        sa.select(Product).where(Product.shop_id == shop_id, Product.created_at < end)
        .order_by(Product.category, Product.name))}
    moves = StockMovement
    for product_id, opening in db.session.execute(
            sa.select(moves.product_id, sa.func.sum(moves.quantity))
            .where(moves.shop_id == shop_id, moves.created_at < start).group_by(moves.product_id)):
        if product_id in lines:
            lines[product_id].opening = opening
    for product_id, kind, source, quantity in db.session.execute(
            sa.select(moves.product_id, moves.kind, moves.source, sa.func.sum(moves.quantity))
            .where(moves.shop_id == shop_id, moves.created_at >= start, moves.created_at < end)
            .group_by(moves.product_id, moves.kind, moves.source)):
        line = lines.get(product_id)
        if line is None:
            continue
        if kind == "received":
            line.received[source or "village"] += quantity
        elif kind == "redeemed":
            line.redeemed -= quantity
        elif kind == "voided":
            line.voided += quantity
        elif kind == "counted":
            line.counted += quantity
        else:
            line.held += quantity
    last = (sa.select(moves.product_id, sa.func.max(moves.id).label("id"))
            .where(moves.shop_id == shop_id, moves.created_at >= start, moves.created_at < end)
            .group_by(moves.product_id).subquery())
    for product_id, stock_after in db.session.execute(
            sa.select(moves.product_id, moves.stock_after).join(last, last.c.id == moves.id)):
        lines[product_id].recorded = stock_after
    in_month = sa.and_(Redemption.shop_id == shop_id, Redemption.created_at >= start,
                       Redemption.created_at < end)
    count, redeemed = db.session.execute(sa.select(
        sa.func.count(Redemption.id), sa.func.coalesce(sa.func.sum(Redemption.points), 0))
        .where(in_month, Redemption.voided_at.is_(None))).one()
    voided = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Redemption.points), 0))
                               .where(in_month, Redemption.voided_at.is_not(None)))
    return list(lines.values()), {"count": count, "redeemed": redeemed, "voided": voided}


def statement_workbook(shop_name: str, month: date, lines: list[StatementLine],
                       points: dict) -> io.BytesIO:
    """The monthly statement as a workbook: one row per product, then the month's points."""
    headers = (_("Product"), _("Opening stock"), _("Bought by the village"), _("Donated"),
               _("Returned"), _("Redeemed"), _("Voided back"), _("Stock-take"),
               _("Held for orders"), _("Closing stock"), _("Difference"))
    book, sheet = write.sheet(_("Statement"), headers)
    for line in lines:
        sheet.append([write.text(sheet, line.product.name), line.opening, line.received["village"],
                      line.received["donation"], line.received["returned"], line.redeemed,
                      line.voided, line.counted, -line.held, line.closing, line.difference])
    sheet.append([])
    sheet.append([write.text(sheet, f"{shop_name} {month:%Y-%m}"), write.text(sheet, _("Redemptions")),
                  points["count"], write.text(sheet, _("Points redeemed")), points["redeemed"],
                  write.text(sheet, _("Points voided")), points["voided"]])
    return write.save(book)


def day_workbook(shop_id: int, day: date) -> io.BytesIO:
    """A day's redemptions, one row per line: time, household, product, quantity, points."""
    start, end = reports.day_bounds(day)
    rows = db.session.execute(
        sa.select(Redemption, RedemptionLine, Product.name)
        .join(RedemptionLine, RedemptionLine.redemption_id == Redemption.id)
        .join(Product, Product.id == RedemptionLine.product_id)
        .where(Redemption.shop_id == shop_id, Redemption.created_at >= start,
               Redemption.created_at < end)
        .options(so.joinedload(Redemption.household))
        .order_by(Redemption.id, RedemptionLine.id)).unique().all()
    headers = (_("Redemption"), _("Time"), _("Household number"), _("Head of household"),
               _("Product"), _("Quantity"), _("Points"), _("Status"))
    book, sheet = write.sheet(_("Redemptions"), headers)
    zone = reports.local_zone()
    for sale, line, name in rows:
        household = sale.household
        sheet.append([sale.id, write.text(sheet, sale.created_at.astimezone(zone).strftime("%H:%M")),
                      write.text(sheet, household.number), write.text(sheet, household.head_name),
                      write.text(sheet, name), line.quantity, line.quantity * line.points,
                      write.text(sheet, _("Voided") if sale.voided_at else "")])
    return write.save(book)


def stock_workbook(shop_id: int) -> io.BytesIO:
    """The stock list: every product with its price, stock and warning level."""
    headers = (_("Product"), _("Category"), _("Unit"), _("Points"), _("Stock"),
               _("Warn when stock is at or below"), _("On sale"))
    book, sheet = write.sheet(_("Stock"), headers)
    for product in db.session.scalars(sa.select(Product).where(Product.shop_id == shop_id)
                                      .order_by(Product.category, Product.name)):
        sheet.append([write.text(sheet, product.name), write.text(sheet, product.category),
                      write.text(sheet, product.unit), product.points, product.stock,
                      product.low_stock, write.text(sheet, _("Yes") if product.active else _("No"))])
    return write.save(book)
