"""The household list's columns: the header names people use, finding the header row and turning
each row below it into the register's fields. The file itself is read by app/spreadsheets/read.py.
"""
from typing import Iterable, Optional

from flask import current_app
from flask_babel import force_locale, gettext as _

from app.errors import InvalidInput
from app.spreadsheets import read
from app.spreadsheets.read import MAX_ROWS, cell_text, header_key

# Header names people use, compared after header_key(); Chinese (both scripts) and English.
ALIASES = {
    "number": {"户号", "戶號", "户编号", "戶編號", "编号", "編號", "householdnumber", "householdno",
               "number", "no"},
    "head_name": {"户主", "戶主", "户主姓名", "戶主姓名", "户主名", "姓名", "headofhousehold",
                  "head", "headname", "name"},
    "members": {"人口", "人数", "人數", "家庭人口", "人口数", "人口數", "members", "people"},
    "address": {"住址", "地址", "家庭住址", "address"},
    "phone": {"电话", "電話", "联系电话", "聯繫電話", "电话号码", "電話號碼", "手机", "手機", "手机号",
              "手机号码", "phone", "telephone", "tel", "mobile"},
    "grid": {"网格", "網格", "微网格", "微網格", "所属网格", "所屬網格", "grid", "gridname"},
}
# The export's headers (English msgids, translated at run time) are accepted too.
LABELS = {"number": "Household number", "head_name": "Head of household", "members": "Members",
          "address": "Address", "phone": "Phone", "grid": "Grid"}


def read_table(filename: str, data: bytes) -> tuple[Iterable[tuple[int, list]], Optional[str]]:
    """The rows of an uploaded household list, from the sheet whose header names its columns."""
    return read.read_table(filename, data, locate_header)


# ---- header and rows -----------------------------------------------------------------------

def _aliases() -> dict[str, set[str]]:
    """Known header names, with the export's headers in every language (a Chinese export can be
    imported by a user who reads English, and the other way round)."""
    names = {key: set(values) for key, values in ALIASES.items()}
    for locale in current_app.config.get("LANGUAGES", ()):
        with force_locale(locale):
            for key, label in LABELS.items():
                names[key].add(header_key(_(label)))
    return names


def locate_header(rows: list[tuple[int, list]]) -> Optional[tuple[int, dict[str, int]]]:
    """The index (in `rows`) of the header row and the column of each known field."""
    return read.locate_header(rows, _aliases(), lambda columns: len(columns) >= 2 and (
        "number" in columns or "head_name" in columns))


def parse_rows(rows: list[tuple[int, list]]) -> list[dict]:
    """Each data row below the header as a dict of text fields with its row number."""
    located = locate_header(rows)
    if located is None:
        raise InvalidInput(_("No header row was found. The first row must name the columns: "
                             "户号, 户主, 人口, 住址, 电话, 网格. Download the template to see how."))
    index, columns = located
    missing = [_(LABELS[k]) for k in ("number", "head_name") if k not in columns]
    if missing:
        raise InvalidInput(_("The header row has no column for: %(columns)s.",
                             columns=", ".join(missing)))
    parsed = []
    for number, cells in rows[index + 1:]:
        def cell(key, normalise=False):
            col = columns.get(key)
            return cell_text(cells[col], normalise) if col is not None and col < len(cells) else ""

        parsed.append({"row": number, "number": cell("number", True), "head_name": cell("head_name"),
                       "members": cell("members", True), "address": cell("address"),
                       "phone": cell("phone", True), "grid": cell("grid")})
    if not parsed:
        raise InvalidInput(_("The file has a header row but no households below it."))
    if len(parsed) > MAX_ROWS:
        raise InvalidInput(_("The file has more than %(max)d rows. Split it into smaller files.",
                             max=MAX_ROWS))
    return parsed

