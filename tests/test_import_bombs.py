"""Audit finding 6: a small spreadsheet that unpacks into a huge one is refused before parsing."""
import io
import time
import zipfile

import pytest
from flask_babel import force_locale
from openpyxl import Workbook

from app.errors import InvalidInput
from app.households.io import reader as import_reader


def _workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part replaced (or added), deflated as Excel does."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return out.getvalue()


def _shared_strings(strings) -> bytes:
    body = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return (f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{body}</sst>').encode()


@pytest.fixture
def never_parsed(app, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr("openpyxl.load_workbook", refuse)
    with force_locale("en"):
        yield


BASE = [["户号", "户主", "人口"], ["0001", "张三", 3]]


@pytest.mark.parametrize("case", ["one huge cell", "millions of strings", "huge sheet"])
def test_workbooks_that_inflate_are_refused_unparsed(never_parsed, case):
    data = _workbook(BASE)
    if case == "one huge cell":
        data = _with_part(data, "xl/sharedStrings.xml", _shared_strings(["x" * 30_000_000]))
    elif case == "millions of strings":
        data = _with_part(data, "xl/sharedStrings.xml",
                          _shared_strings([str(n) for n in range(700_000)]))
    else:
        data = _with_part(data, "xl/worksheets/sheet1.xml", b"<a>" + b" " * 30_000_000 + b"</a>")
    assert len(data) < 4_000_000
    started = time.monotonic()
    with pytest.raises(InvalidInput, match="MB unpacked"):
        import_reader.read_table("list.xlsx", data)
    assert time.monotonic() - started < 2


def test_a_long_cell_is_refused_with_its_row(app):
    data = _workbook(BASE + [["0002", "李" * 5000, 2]])
    with force_locale("en"), pytest.raises(InvalidInput, match="Row 3 has a cell longer"):
        import_reader.read_table("list.xlsx", data)
    rows, _notice = import_reader.read_table("list.xlsx", _workbook(BASE))
    assert rows[1][1][:2] == ["0001", "张三"]
