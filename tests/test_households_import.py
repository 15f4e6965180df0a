"""Register import (.xlsx/.csv, preview, all or nothing) and export, through the client."""
import io
import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.extensions import db
from app.models import AuditLog, Household
from tests import factories

HEADERS = ["户号", "户主", "人口", "住址", "电话", "网格"]


@pytest.fixture
def village(app):
    """A village with one grid and two committees (English readers), CSRF off for posting."""
    app.config["WTF_CSRF_ENABLED"] = False

    _city, _county, _township, (first, second) = factories.region_tree()
    factories.grid(first, "一组")
    factories.user("c1", "committee", region_id=first.id, language="en")
    factories.user("c2", "committee", region_id=second.id, language="en")
    return first


def xlsx(rows, headers=HEADERS, title_row=None):
    book = Workbook()
    sheet = book.active
    if title_row:
        sheet.append([title_row])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, data, name="list.xlsx", village_id=None):
    url = "/households/import" + (f"?village={village_id}" if village_id else "")
    return client.post(url, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def token_of(response):
    match = re.search(r'name="token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def count(village):
    return db.session.scalar(sa.select(sa.func.count(Household.id))
                             .where(Household.village_id == village.id))


def test_bad_rows_import_nothing_and_are_named(client, auth, village):
    factories.household(village, number="0009")
    auth.login("c1")
    response = upload(client, xlsx([
        ["0001", "张三", 3, "一组1号", "13800000001", "一组"],   # row 2: good
        ["0002", "", 2, "", "", ""],                            # row 3: no head, duplicate
        ["0002", "李四", 0, "", "", ""],                        # row 4: duplicate, members 0
        ["0009", "王五", 1, "", "", ""],                        # row 5: already registered
        ["0006", "赵六", 2.5, "", "138-abc", "三组"],            # row 6: members, phone, grid
        ["", "钱七", 1, "", "", ""],                            # row 7: no number
        ["00 8", "孙八", "x" * 3, "地" * 201, "", ""],          # row 8: number, members, address
    ]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    problems = page.split('id="import-problems"')[1].split("</table>")[0]
    assert '<th scope="row">2</th>' not in problems
    for row in (3, 4, 5, 6, 7, 8):
        assert f'<th scope="row">{row}</th>' in problems
    for reason in ("Head of household is missing.", "Household number 0002 is also in row 4 of this file.",
                   "Household number 0002 is also in row 3 of this file.", "Members must be a whole number from 1 to 99.",
                   "Household number 0009 is already in the register.",
                   "Phone 138-abc is neither an 11-digit mobile number nor a landline",
                   "Household number is missing.",
                   "Household number 00 8: use digits, letters and dashes only.",
                   "Address is too long (at most 200 characters)."):
        assert reason in problems
    assert token_of(response) is None
    assert "Import all" not in page
    assert count(village) == 1
    # A grid the village lacks is no row's problem: it is offered for creation.
    assert "三组" not in problems and "does not have yet: 三组" in page


def test_good_xlsx_imports_all_with_grids(client, auth, village):
    auth.login("c1")
    rows = [[3, "张三", 3.0, "一组1号", 13800000001, "一组"],
            ["0004", " 李四 ", None, None, "+86 138-0000-0002", None]]
    response = upload(client, xlsx(rows, headers=[" 户 号 ", "户主（必填）", "人口", "住址", "电话", "网格"],
                                   title_row="甲村农户花名册"))
    assert response.status_code == 200
    assert count(village) == 0  # nothing written at preview
    token = token_of(response)
    assert token
    response = client.post(f"/households/import/confirm?village={village.id}", data={"token": token})
    assert response.status_code == 302
    assert f"/households/?village={village.id}" in response.headers["Location"]
    imported = {h.number: h for h in db.session.scalars(
        sa.select(Household).where(Household.village_id == village.id))}
    assert set(imported) == {"3", "0004"}
    assert imported["3"].grid.name == "一组" and imported["3"].members == 3
    assert imported["3"].phone == "13800000001"
    assert imported["0004"].grid_id is None and imported["0004"].members == 1
    assert imported["0004"].head_name == "李四"
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "households_imported"))
    assert "2 households imported." in client.get(response.headers["Location"]).get_data(as_text=True)
    # the token is used up
    again = client.post(f"/households/import/confirm?village={village.id}", data={"token": token})
    assert again.status_code == 302 and count(village) == 2


def test_gbk_csv_imports_with_notice(client, auth, village):
    auth.login("c1")
    text = "户号,户主,人口,住址,电话,网格\r\n0001,张三,3,一组1号,13800000001,一组\r\n0002,李四,2,,,\r\n"
    response = upload(client, text.encode("gbk"), name="名单.csv")
    page = response.get_data(as_text=True)
    assert "GBK/GB18030" in page
    assert "张三" in page
    token = token_of(response)
    client.post(f"/households/import/confirm?village={village.id}", data={"token": token})
    names = set(db.session.scalars(sa.select(Household.head_name)))
    assert names == {"张三", "李四"}


def test_utf8_bom_csv_has_no_notice(client, auth, village):
    auth.login("c1")
    text = "household number,head of household\n0001,Zhang\n"
    response = upload(client, text.encode("utf-8-sig"), name="list.csv")
    assert "GBK" not in response.get_data(as_text=True)
    assert token_of(response)


@pytest.mark.parametrize("name,data,message", [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "save it as .xlsx"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "save it as .xlsx"),
    ("list.pdf", b"%PDF-1.4", "save it as .xlsx"),
    ("empty.csv", b"", "The file is empty."),
    ("garbage.xlsx", b"PK\x03\x04garbage" * 10, "could not be read as an Excel workbook"),
    ("garbage.csv", b"\xff\xfe\x00\xd8" * 3 + b"\x81", "could not be read as text"),
    ("binary.csv", bytes(range(256)) * 4, "could not be read as text"),
    ("headers.csv", "户号,户主\n".encode(), "no households below it"),
    ("noheader.csv", "1,2,3\n4,5,6\n".encode(), "No header row was found"),
    ("nohead.csv", "户号,人口\n1,2\n".encode(), "no column for: Head of household"),
])
def test_bad_files_are_refused(client, auth, village, name, data, message):
    auth.login("c1")
    response = upload(client, data, name=name)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert count(village) == 0


def test_awkward_cells_never_fail(client, auth, village):
    auth.login("c1")
    rows = [["0001", "张三", "=1+2", None, datetime(2024, 1, 2, 8, 30), None],
            [datetime(2024, 1, 3), "=HYPERLINK(\"x\")", True, "地址", None, None]]
    response = upload(client, xlsx(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is neither an 11-digit mobile number" in page  # a date and time in the phone column
    # a formula never calculated has no value; a date as number becomes an ISO date
    assert "Head of household is missing." in page and "2024-01-03" in page
    assert "Members must be a whole number from 1 to 99." in page  # TRUE


def test_too_many_rows_refused(client, auth, village):
    auth.login("c1")
    body = "户号,户主\n" + "".join(f"{i},户主{i}\n" for i in range(10_000))
    response = upload(client, body.encode(), name="big.csv")
    assert "more than 5000 rows" in response.get_data(as_text=True)
    assert count(village) == 0


def test_confirm_after_register_changed_imports_nothing(client, auth, village):
    auth.login("c1")
    response = upload(client, xlsx([["0001", "张三", 3, "", "", ""], ["0002", "李四", 2, "", "", ""]]))
    token = token_of(response)
    factories.household(village, number="0002", head_name="别人")
    response = client.post(f"/households/import/confirm?village={village.id}", data={"token": token})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "Household number 0002 is already in the register." in page
    assert '<th scope="row">3</th>' in page
    assert token_of(response) is None
    assert count(village) == 1


def test_confirm_refuses_forged_token(client, auth, village):
    auth.login("c1")
    for token in ("../../secret_key", "x" * 32, ""):
        response = client.post(f"/households/import/confirm?village={village.id}",
                               data={"token": token})
        assert response.status_code == 302
    assert count(village) == 0


def test_other_village_is_not_found(client, auth, village, app):
    _other = factories.household(village, number="0001")
    auth.login("c2")
    data = xlsx([["0005", "张三", 3, "", "", ""]])
    assert upload(client, data, village_id=village.id).status_code == 404
    assert client.get(f"/households/import?village={village.id}").status_code == 404
    assert client.get(f"/households/export.xlsx?village={village.id}").status_code == 404
    assert client.get(f"/households/import/template.xlsx?village={village.id}").status_code == 404


def test_token_of_another_committee_is_refused(client, auth, village):
    auth.login("c1")
    token = token_of(upload(client, xlsx([["0001", "张三", 3, "", "", ""]])))
    auth.logout()
    auth.login("c2")
    response = client.post("/households/import/confirm", data={"token": token})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 0


def test_export_round_trips(client, auth, village, app):
    grid = factories.grid(village, "二组")
    factories.household(village, number="0001", head_name="张三", grid_obj=grid, balance=5, score=7)
    factories.household(village, number="0002", head_name="=1+1", active=False, phone="0598-1234567")
    auth.login("c1")
    response = client.get("/households/export.xlsx", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E7%94%B2%E6%9D%91" in disposition  # 甲村
    assert f'filename="village{village.id}-' in disposition
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("Household number", "Head of household", "Members", "Address",
                           "Phone", "Grid")
    assert len(rows) == 3
    assert rows[1][:2] == ("0001", "张三") and rows[1][5] == "二组" and rows[1][7:] == (5, 7)
    assert rows[2][1] == "=1+1" and rows[2][6] == "Inactive"  # text, not a formula

    # the exported file is accepted by the importer of another village
    auth.logout()
    auth.login("c2")
    other = db.session.get(type(village), village.id + 1)
    factories.grid(other, "二组")
    preview = upload(client, response.data, name="export.xlsx")
    assert token_of(preview), preview.get_data(as_text=True)


def test_official_exports_village_in_scope(client, auth, village):
    township = village.parent
    factories.user("o1", "official", region_id=township.id)
    factories.household(village, number="0001")
    auth.login("o1")
    response = client.get(f"/households/export.xlsx?village={village.id}")
    assert response.status_code == 200
    assert client.get(f"/households/export.xlsx?village={township.id}").status_code == 404
    assert client.get("/households/import").status_code == 403


def test_template_download(client, auth, village):
    auth.login("c1")
    response = client.get("/households/import/template.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data), read_only=True).active
                .iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert rows[1][0] == "0001" and rows[1][5] == "一组"
    preview = upload(client, response.data, name="template.xlsx")
    assert token_of(preview)


def test_admin_imports_with_village_parameter(client, auth, village):
    factories.user("root", "admin")
    auth.login("root")
    response = upload(client, xlsx([["0001", "张三", 3, "", "", ""]]), village_id=village.id)
    token = token_of(response)
    client.post(f"/households/import/confirm?village={village.id}", data={"token": token})
    assert count(village) == 1
