"""Writing .xlsx workbooks people open in Excel or WPS, and sending them as downloads."""
import io
import unicodedata
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import current_app, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.models import Region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTHS = (12, 14, 8, 30, 16, 14, 10, 10, 10)


def sheet(title: str, headers):
    """A write-only workbook and its one sheet, with a bold header row."""
    book = Workbook(write_only=True)
    sheet_ = book.create_sheet(title[:31])
    for index, width in enumerate(WIDTHS[:len(headers)]):
        sheet_.column_dimensions[chr(ord("A") + index)].width = width
    cells = []
    for header in headers:
        cell = text(sheet_, header)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet_.append(cells)
    return book, sheet_


def text(sheet_, value: str) -> WriteOnlyCell:
    """A cell that is always text: a name like '=1+1' must not become a formula in Excel."""
    cell = WriteOnlyCell(sheet_, value=ILLEGAL_CHARACTERS_RE.sub("", value or ""))
    cell.data_type = "s"
    return cell


def save(book: Workbook) -> io.BytesIO:
    """The workbook as bytes, ready to send."""
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def download_name(village: Region, what: str) -> str:
    """A Content-Disposition value: an ASCII name and the real one (RFC 5987) for the village."""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    day = datetime.now(tz).date().isoformat()
    name = f"{village.name}-{what}-{day}.xlsx"
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = "".join(c for c in plain if c.isalnum() or c in "-_.").lstrip("-") or "export.xlsx"
    return f"attachment; filename=\"village{village.id}-{plain}\"; " \
           f"filename*=UTF-8''{quote(name, safe='')}"


def xlsx_response(buffer, disposition: str):
    """Send a workbook as a download that no cache keeps."""
    response = send_file(buffer, mimetype=XLSX, max_age=0)
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "no-store"
    return response
