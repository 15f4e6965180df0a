"""The figures of a village's month, and the workbook of them.

Sheets: the month's meetings (date, format, topic, attendance), the attendance summary, issues
(raised, resolved, overdue), points by rule category, each village shop's redemptions and stock
(app/shop/reports/statement.py's monthly statement) and the month's ranking (app/rankings/reads.py).
Points by category is one grouped query over the month's ledger entries of the village: it reads
the index ix_ledger_entries_village_id_created_at, a range bounded by one village and one month,
which is acceptable for a report asked for now and then (the rankings' summary does not keep
categories).
"""
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from app.extensions import db
from app.models import (Attendance, Household, Issue, LedgerEntry, Meeting, Region, Rule,
                        RuleCategory, Shop)
from app.models.issue import OPEN_STATUSES
from app.models.meeting import FORMATS
from app.rankings import periods, reads
from app.shop.reports import reads as shop_reports, statement
from app.spreadsheets import write

POINT_KINDS = ("award", "deduction")


@dataclass
class Month:
    """What the report says about one village's month."""

    village: Region
    month: date
    meetings: list = field(default_factory=list)  # [(meeting, attendance count)]
    households: int = 0
    issues: dict = field(default_factory=dict)  # raised, resolved, overdue
    categories: list = field(default_factory=list)  # [(name, awards, awarded, deductions, deducted)]
    shops: list = field(default_factory=list)  # [(shop, statement lines, points)]
    ranking: list = field(default_factory=list)  # reads.Row


def gather(village: Region, month: date) -> Month:
    """The village's figures of the local month starting on `month`."""
    start, end = statement.month_bounds(month)
    found = Month(village, month)
    attended = (sa.select(sa.func.count(Attendance.id)).where(Attendance.meeting_id == Meeting.id)
                .scalar_subquery())
    found.meetings = list(db.session.execute(
        sa.select(Meeting, attended).where(Meeting.village_id == village.id,
                                           Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(Meeting.starts_at, Meeting.id)))
    found.households = db.session.scalar(sa.select(sa.func.count(Household.id)).where(
        Household.village_id == village.id, Household.active.is_(True)))
    found.issues = _issues(village.id, start, end)
    found.categories = _categories(village.id, start, end)
    found.shops = [(shop, *statement.monthly(shop.id, month)) for shop in db.session.scalars(
        sa.select(Shop).where(Shop.village_id == village.id).order_by(Shop.id))]
    found.ranking = reads.ranking(village.id, periods.parse("month", f"{month:%Y-%m}"))
    return found


def _issues(village_id: int, start, end) -> dict:
    """Raised and resolved in the month; overdue: still open now, past its deadline before the
    month ended (or before today, for the current month)."""
    of_village = Issue.village_id == village_id
    count = sa.func.count(Issue.id)
    cutoff = min(end.date(), shop_reports.today())
    return {
        "raised": db.session.scalar(sa.select(count).where(
            of_village, Issue.created_at >= start, Issue.created_at < end)),
        "resolved": db.session.scalar(sa.select(count).where(
            of_village, Issue.resolved_at >= start, Issue.resolved_at < end)),
        "overdue": db.session.scalar(sa.select(count).where(
            of_village, Issue.status.in_(OPEN_STATUSES), Issue.deadline < cutoff)),
    }


def _categories(village_id: int, start, end) -> list:
    """Awards and deductions of the month by rule category: one grouped query (see above)."""
    positive = sa.case((LedgerEntry.points > 0, 1), else_=0)
    negative = sa.case((LedgerEntry.points < 0, 1), else_=0)
    rows = db.session.execute(
        sa.select(RuleCategory.name, sa.func.sum(positive),
                  sa.func.coalesce(sa.func.sum(sa.case((LedgerEntry.points > 0, LedgerEntry.points),
                                                       else_=0)), 0),
                  sa.func.sum(negative),
                  sa.func.coalesce(sa.func.sum(sa.case((LedgerEntry.points < 0, LedgerEntry.points),
                                                       else_=0)), 0))
        .select_from(LedgerEntry).join(Rule, Rule.id == LedgerEntry.rule_id)
        .join(RuleCategory, RuleCategory.id == Rule.category_id)
        .where(LedgerEntry.village_id == village_id, LedgerEntry.created_at >= start,
               LedgerEntry.created_at < end, LedgerEntry.kind.in_(POINT_KINDS))
        .group_by(RuleCategory.id, RuleCategory.name, RuleCategory.sort_order)
        .order_by(RuleCategory.sort_order, RuleCategory.id))
    return [(name, int(a), int(p), int(d), int(m)) for name, a, p, d, m in rows]


def _sheet(book: Workbook, title: str, headers) -> object:
    sheet = book.create_sheet(title[:31])
    cells = []
    for header in headers:
        cell = write.text(sheet, header)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)
    return sheet


def workbook(found: Month):
    """The month as an .xlsx workbook (bytes buffer)."""
    formats = {key: str(label) for key, label in FORMATS}
    book = Workbook(write_only=True)
    t = write.text
    sheet = _sheet(book, _("Meetings"), (_("Date"), _("Format"), _("Topic"), _("Attendance")))
    for meeting, attended in found.meetings:
        local = meeting.starts_at.astimezone(shop_reports.local_zone())
        sheet.append([t(sheet, local.strftime("%Y-%m-%d %H:%M")), t(sheet, formats.get(meeting.format, meeting.format)),
                      t(sheet, meeting.topic), attended])
    sheet = _sheet(book, _("Attendance"), (_("Item"), _("Value")))
    total = sum(n for _m, n in found.meetings)
    sheet.append([t(sheet, _("Meetings")), len(found.meetings)])
    sheet.append([t(sheet, _("Attendances")), total])
    sheet.append([t(sheet, _("Active households")), found.households])
    sheet.append([t(sheet, _("Average attendance per meeting")),
                  round(total / len(found.meetings), 1) if found.meetings else 0])
    sheet = _sheet(book, _("Issues"), (_("Item"), _("Value")))
    for key, label in (("raised", _("Raised this month")), ("resolved", _("Resolved this month")),
                       ("overdue", _("Overdue"))):
        sheet.append([t(sheet, label), found.issues[key]])
    sheet = _sheet(book, _("Points by category"), (_("Category"), _("Awards"), _("Points awarded"),
                                                   _("Deductions"), _("Points deducted")))
    for name, awards, awarded, deductions, deducted in found.categories:
        sheet.append([t(sheet, name), awards, awarded, deductions, deducted])
    sheet = _sheet(book, _("Shop"), (_("Shop"), _("Product"), _("Opening stock"), _("Received"),
                                     _("Redeemed"), _("Closing stock")))
    for shop, lines, points in found.shops:
        for line in lines:
            sheet.append([t(sheet, shop.name), t(sheet, line.product.name), line.opening,
                          sum(line.received.values()), line.redeemed, line.closing])
        sheet.append([t(sheet, shop.name), t(sheet, _("Redemptions")), points["count"],
                      t(sheet, _("Points redeemed")), points["redeemed"]])
    sheet = _sheet(book, _("Ranking"), (_("Rank"), _("Household number"), _("Head of household"),
                                        _("Points gained"), _("Stars")))
    for row in found.ranking:
        sheet.append([row.rank, t(sheet, row.number), t(sheet, row.head_name), row.gained, row.stars])
    return write.save(book)
