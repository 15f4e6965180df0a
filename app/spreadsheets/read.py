"""Reading an uploaded spreadsheet (.xlsx or .csv) into rows of text, safely and tolerant of what
village offices produce: title rows above the header, full-width or spaced header names, numbers
stored as floats, GBK-encoded CSV. Old .xls files and anything else are refused. Every import
(the household register, the region tree) reads through here; each finds its own header row.
"""
import csv
import io
import re
import unicodedata
from datetime import date, datetime, time as dtime, timedelta
from typing import Callable, Iterable, Optional

from flask_babel import gettext as _

from app.errors import InvalidInput

MAX_ROWS = 5000
MAX_BYTES = 8 * 1024 * 1024
MAX_COLUMNS = 50
MAX_CELL = 1000  # characters in one cell
# A workbook is a zip of XML: its declared uncompressed sizes are checked before any XML is
# parsed (zipfile never inflates a member past its declared size). 5,000 households take about
# 2 MB of XML; the audit's 107 KB file held a 100 MB cell, another 6.5 million shared strings.
MAX_UNCOMPRESSED = 24 * 1024 * 1024
MAX_SHARED_STRINGS = 6 * 1024 * 1024
MAX_ZIP_MEMBERS = 200
HEADER_SEARCH_ROWS = 10
BLANK_RUN_END = 1000  # this many blank rows in a row end the sheet (formatted but empty rows)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
ZIP_MAGIC = b"PK\x03\x04"
EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}

# ---- reading -------------------------------------------------------------------------------

def read_table(filename: str, data: bytes, has_header: Callable
               ) -> tuple[Iterable[tuple[int, list]], Optional[str]]:
    """The rows of an upload as (row number, cells), and a notice about its encoding if any.
    `has_header(rows)` picks the workbook's sheet: the first whose rows it finds a header in."""
    if not data.strip():
        raise InvalidInput(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The file is too large. Please choose a smaller one."))
    if data.startswith(OLE2_MAGIC):
        raise InvalidInput(_("This is an old Excel .xls file. Open it in Excel or WPS, save it as "
                             ".xlsx (Excel workbook), then upload it again."))
    if data.startswith(ZIP_MAGIC):
        return _xlsx_rows(data, has_header), None
    if filename.lower().endswith(".csv"):
        return _csv_rows(data)
    raise InvalidInput(_("Only .xlsx and .csv files can be imported. Open the file in Excel or WPS "
                         "and save it as .xlsx (Excel workbook), then upload it again."))


def _check_workbook_size(data: bytes) -> None:
    """Refuse a workbook whose parts would inflate beyond what a household list needs."""
    import zipfile

    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # load_workbook gives the "could not be read" answer
    shared = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if (len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNCOMPRESSED
            or shared > MAX_SHARED_STRINGS):
        raise InvalidInput(_("This workbook holds far more data than a household list (more than "
                             "%(mb)d MB unpacked). Copy just the household rows into a new "
                             "workbook and upload that.", mb=MAX_UNCOMPRESSED // (1024 * 1024)))


def _xlsx_rows(data: bytes, has_header: Callable) -> list[tuple[int, list]]:
    from openpyxl import load_workbook

    _check_workbook_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any malformed zip or XML: openpyxl raises many kinds
        raise InvalidInput(_("This file could not be read as an Excel workbook. Open it in Excel "
                             "or WPS, save it as .xlsx, then upload it again.")) from None
    try:
        for sheet in book.worksheets:
            if not hasattr(sheet, "iter_rows"):  # a chart sheet
                continue
            sheet.reset_dimensions()  # some writers record wrong dimensions
            rows = _bounded(enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), 1))
            if has_header(rows):
                return rows
        return []
    except InvalidInput:
        raise
    except Exception:
        raise InvalidInput(_("This file could not be read as an Excel workbook. Open it in Excel "
                             "or WPS, save it as .xlsx, then upload it again.")) from None
    finally:
        book.close()


def _csv_rows(data: bytes) -> tuple[list[tuple[int, list]], Optional[str]]:
    notice = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode(data, "utf-16")
    else:
        text = _decode(data, "utf-8-sig")
        if text is None:
            text = _decode(data, "gb18030")
            notice = _("This file is not UTF-8, so it was read as GBK/GB18030 (the Chinese Windows "
                       "encoding). Check that the names below look right before importing.")
    if text is None or "\x00" in text:
        raise InvalidInput(_("This file could not be read as text in UTF-8 or GBK. Open it in Excel "
                             "or WPS, save it as .xlsx, then upload it again."))
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return _bounded(enumerate(([c[:1000] for c in r[:MAX_COLUMNS]] for r in reader), 1)), notice
    except csv.Error:
        raise InvalidInput(_("This CSV file is malformed. Open it in Excel or WPS, save it as "
                             ".xlsx, then upload it again.")) from None


def _decode(data: bytes, encoding: str) -> Optional[str]:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _bounded(rows: Iterable[tuple[int, tuple]]) -> list[tuple[int, list]]:
    """Non-blank rows, refusing more than MAX_ROWS; a long run of blank rows ends the sheet."""
    kept, blank_run = [], 0
    for number, cells in rows:
        cells = list(cells or ())
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            blank_run += 1
            if blank_run >= BLANK_RUN_END:
                break
            continue
        blank_run = 0
        if any(isinstance(c, str) and len(c) > MAX_CELL for c in cells):
            raise InvalidInput(_("Row %(row)d has a cell longer than %(max)d characters. Check "
                                 "that row, then upload the file again.", row=number, max=MAX_CELL))
        kept.append((number, cells))
        if len(kept) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise InvalidInput(_("The file has more than %(max)d rows. Split it into smaller files.",
                                 max=MAX_ROWS))
    return kept


# ---- cells ---------------------------------------------------------------------------------

def locate_header(rows: list[tuple[int, list]], aliases: dict[str, set[str]],
                  enough: Callable[[dict[str, int]], bool]) -> Optional[tuple[int, dict[str, int]]]:
    """The index (in `rows`) of the header row and the column of each field it names: the first
    of the first rows whose cells, compared by header_key(), name fields `enough` accepts."""
    for index, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(cells):
            key = header_key(cell)
            for name, names in aliases.items():
                if key in names and name not in columns:
                    columns[name] = col
        if enough(columns):
            return index, columns
    return None


def header_key(value) -> str:
    """A header cell compared loosely: full-width, case, spaces and punctuation ignored."""
    text = unicodedata.normalize("NFKC", str(value or "")).lower()
    text = re.sub(r"\(.*?\)|[\s*:.#_/\-]", "", text)
    return text


def cell_text(value, normalise: bool = False) -> str:
    """A cell as text: integral numbers lose their '.0', dates become ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = str(value).upper()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == dtime() else value.isoformat(sep=" ")
    elif isinstance(value, (date, dtime, timedelta)):
        text = value.isoformat() if not isinstance(value, timedelta) else str(value)
    else:
        text = str(value)
    if normalise:  # full-width digits and letters in numbers and phones
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())  # Alt+Enter line breaks and runs of spaces become one space
