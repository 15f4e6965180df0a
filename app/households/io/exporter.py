"""Register export and the import template, as .xlsx workbooks committees open in Excel or WPS."""
import io
import unicodedata
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.extensions import db
from app.models import Grid, Household, Region

TEMPLATE_HEADERS = ("户号", "户主", "人口", "住址", "电话", "网格")
WIDTHS = (12, 14, 8, 30, 16, 14, 10, 10, 10)


def register_workbook(village: Region, query: sa.Select) -> io.BytesIO:
    """Every household of the village (active and inactive) with its grid, balance and score."""
    rows = db.session.execute(
        query.where(Household.village_id == village.id)
        .outerjoin(Grid, Grid.id == Household.grid_id).add_columns(Grid.name)
        .order_by(Household.number)
    ).all()
    headers = (_("Household number"), _("Head of household"), _("Members"), _("Address"),
               _("Phone"), _("Grid"), _("Status"), _("Balance"), _("Score"))
    active, inactive = _("Active"), _("Inactive")
    book, sheet = _sheet(_("Households"), headers)
    for household, grid_name in rows:
        sheet.append([_text(sheet, household.number), _text(sheet, household.head_name),
                      household.members, _text(sheet, household.address),
                      _text(sheet, household.phone), _text(sheet, grid_name or ""),
                      active if household.active else inactive, household.balance, household.score])
    return _save(book)


def template_workbook(village: Region) -> io.BytesIO:
    """The import template: Chinese headers and one example row (with a real grid, if any)."""
    grid = db.session.scalar(sa.select(Grid.name).where(Grid.village_id == village.id)
                             .order_by(Grid.name).limit(1))
    book, sheet = _sheet("农户名单", TEMPLATE_HEADERS)
    sheet.append([_text(sheet, "0001"), _text(sheet, "张三"), 3, _text(sheet, "一组12号"),
                  _text(sheet, "13800000000"), _text(sheet, grid or "")])
    return _save(book)


def download_name(village: Region, what: str) -> str:
    """A Content-Disposition value: an ASCII name and the real one (RFC 5987) for the village."""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    day = datetime.now(tz).date().isoformat()
    name = f"{village.name}-{what}-{day}.xlsx"
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = "".join(c for c in plain if c.isalnum() or c in "-_.").lstrip("-") or "export.xlsx"
    return f"attachment; filename=\"village{village.id}-{plain}\"; " \
           f"filename*=UTF-8''{quote(name, safe='')}"


def _sheet(title: str, headers):
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, width in enumerate(WIDTHS[:len(headers)]):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    cells = []
    for header in headers:
        cell = _text(sheet, header)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)
    return book, sheet


def _text(sheet, value: str) -> WriteOnlyCell:
    """A cell that is always text: a name like '=1+1' must not become a formula in Excel."""
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value or ""))
    cell.data_type = "s"
    return cell


def _save(book: Workbook) -> io.BytesIO:
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer
