"""The region tree from division codes: codes, import (file, page, CLI), re-import and export."""
import io
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook

from app.extensions import db
from app.models import AuditLog, Region, RegionLevel
from app.regions import codes, tree_import
from tests import factories

FIXTURE = "tests/data/mingxi_tree.csv"


def fixture_bytes() -> bytes:
    with open(FIXTURE, "rb") as f:
        return f.read()


def xlsx(rows, headers=("统计用区划代码", "名称")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["明溪县统计用区划代码表"])  # a title row above the header, as offices write
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def region_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Region.id)))


def by_code(code: str) -> Region:
    return db.session.scalar(sa.select(Region).where(Region.code == code))


def import_file(data: bytes, name="tree.csv"):
    rows, _notice = tree_import.read_rows(name, data)
    return tree_import.apply(rows, None, name)


@pytest.fixture(autouse=True)
def english(request):
    """Messages in English, so the tests can read them (the pages use each account's language)."""
    if "app" not in request.fixturenames or "runner" in request.fixturenames:
        yield  # the command line speaks the configured language (zh_Hans in the tests)
        return
    request.getfixturevalue("app")
    with force_locale("en"):
        yield


@pytest.fixture
def admin(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return factories.user("root", "admin", language="en")


# ---- codes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code, level, parent", [
    ("350400000000", RegionLevel.CITY, None),
    ("350421000000", RegionLevel.COUNTY, "350400000000"),
    ("350421100000", RegionLevel.TOWNSHIP, "350421000000"),
    ("350421100001", RegionLevel.VILLAGE, "350421100000"),
    ("350421200201", RegionLevel.VILLAGE, "350421200000"),
])
def test_level_and_parent_follow_from_the_code(code, level, parent):
    assert codes.is_valid(code)
    assert (codes.level_of(code), codes.parent_code(code)) == (level, parent)


@pytest.mark.parametrize("code", ["35042110000", "3504211000001", "35042110000a", "350000000000",
                                  "000000000000", ""])
def test_bad_codes_are_not_valid(code):
    assert not codes.is_valid(code)


def test_communities_and_villages_by_code():
    assert codes.is_community("350421100001") and not codes.is_community("350421100200")


# ---- import --------------------------------------------------------------------------------

def test_county_tree_from_empty_database(app):
    plan = import_file(fixture_bytes())
    assert len(plan.new) == 13 and not plan.problems
    county = by_code("350421000000")
    assert (county.name, county.level, county.parent_id) == ("明溪县", RegionLevel.COUNTY, None)
    township = by_code("350421200000")
    village = by_code("350421200201")
    assert (village.name, village.level, village.parent_id) == ("罗翠村", RegionLevel.VILLAGE,
                                                                 township.id)
    assert village.path == f"{township.path}{village.id:010d}/"
    assert township.parent_id == county.id
    assert db.session.scalar(sa.select(AuditLog.action)) == "regions_imported"


def test_reimport_renames_by_code_and_never_duplicates(app):
    import_file(fixture_bytes())
    before = region_count()
    renamed = fixture_bytes().decode().replace("旦上村", "旦上新村").replace("盖洋镇", "盖洋新镇")
    plan = import_file(renamed.encode())
    assert region_count() == before
    assert sorted((row["code"], old) for row, old in plan.renamed) == [
        ("350421101000", "盖洋镇"), ("350421200202", "旦上村")]
    assert by_code("350421200202").name == "旦上新村"
    assert by_code("350421101000").name == "盖洋新镇"
    again = import_file(renamed.encode())
    assert (len(again.new), len(again.renamed), again.unchanged) == (0, 0, 13)


def test_reimport_adds_only_the_new_villages_under_existing_townships(app):
    import_file(fixture_bytes())
    plan = import_file("code,name\n350421200203,新村\n".encode())
    assert [r["code"] for r in plan.new] == ["350421200203"]
    assert by_code("350421200203").parent_id == by_code("350421200000").id


def test_bad_rows_are_all_named_and_nothing_is_written(app):
    import_file(fixture_bytes())
    before = region_count()
    data = ("code,name,level,parent code\n"
            "350421200203,好村,,\n"              # good: written only if everything is
            "350421300200,孤村,,\n"              # orphan: township 350421300000 is unknown
            "35042120020,短码村,,\n"             # eleven digits
            "350421200204,甲村,,\n"
            "350421200204,乙村,,\n"              # duplicate code
            "350421200205,,,\n"                  # no name
            "350421200206,错级村,乡,\n"           # level says township, code says village
            "350421200207,错上级村,,350421100000\n")  # parent column contradicts the code
    with pytest.raises(tree_import.TreeRefused) as refused:
        import_file(data.encode())
    problems = {p.row: " ".join(p.reasons) for p in refused.value.plan.problems}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9]
    assert "350421300000" in problems[3] and "neither in this file" in problems[3]
    assert "not a 12-digit" in problems[4]
    assert "also in row 6" in problems[5] and "also in row 5" in problems[6]
    assert "name is missing" in problems[7]
    assert "level" in problems[8] and "parent code" in problems[9]
    assert region_count() == before and by_code("350421200203") is None


def test_gbk_csv_is_read_with_a_notice(app):
    rows, notice = tree_import.read_rows("tree.csv", fixture_bytes().decode().encode("gbk"))
    assert "GBK" in notice and rows[-1]["name"] == "旦上村"


def test_xlsx_with_title_row_and_numeric_codes(app):
    plan = import_file(xlsx([(350421000000, "明溪县"), (350421100000.0, "雪峰镇"),
                             ("３５０４２１１０００01", "城东社区")]), "tree.xlsx")
    assert len(plan.new) == 3 and by_code("350421100001").name == "城东社区"


@pytest.mark.parametrize("name, data, message", [
    ("tree.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old Excel .xls file"),
    ("tree.csv", b"", "The file is empty."),
    ("tree.csv", "名称,备注\n雪峰镇,x\n".encode(), "No header row was found"),
    ("tree.csv", "code,name\n".encode(), "no places below it"),
])
def test_unreadable_files_are_refused_clearly(app, name, data, message):
    from app.errors import InvalidInput

    with pytest.raises(InvalidInput, match=re.escape(message)):
        tree_import.read_rows(name, data)


# ---- page ----------------------------------------------------------------------------------

def upload(client, data, name="tree.csv"):
    return client.post("/regions/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def token_of(response):
    match = re.search(r'name="token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def test_page_previews_then_imports_on_confirmation(client, auth, admin):
    auth.login("root")
    response = upload(client, fixture_bytes())
    assert response.status_code == 200 and "13 new places" in response.get_data(as_text=True)
    assert region_count() == 0  # nothing written at preview
    response = client.post("/regions/import/confirm", data={"token": token_of(response)})
    assert response.status_code == 302 and region_count() == 13
    again = client.post("/regions/import/confirm", data={"token": token_of(upload(client, b"x"))})
    assert again.status_code == 302 and region_count() == 13


def test_page_names_bad_rows_and_offers_no_confirmation(client, auth, admin):
    auth.login("root")
    response = upload(client, "code,name\n350421300200,孤村\n".encode())
    body = response.get_data(as_text=True)
    assert "import-problems" in body and token_of(response) is None
    assert region_count() == 0


def test_page_refuses_xls_with_a_message(client, auth, admin):
    auth.login("root")
    response = upload(client, b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "tree.xls")
    assert response.status_code == 200 and "save it as .xlsx" in response.get_data(as_text=True)


def test_confirm_refuses_when_tree_changed_since_preview(client, auth, admin):
    auth.login("root")
    preview = upload(client, "code,name\n350421000000,明溪县\n350421100000,雪峰镇\n".encode())
    import_file("code,name\n350421000000,明溪县\n".encode())
    response = client.post("/regions/import/confirm", data={"token": token_of(preview)})
    # The county exists now, so the re-check adds only the township: nothing duplicated.
    assert response.status_code == 302 and region_count() == 2


def test_only_administrators_import(client, auth, app):
    app.config["WTF_CSRF_ENABLED"] = False
    _c, county, _t, _v = factories.region_tree()
    factories.user("official", "official", region_id=county.id)
    auth.login("official")
    assert client.get("/regions/import").status_code == 403
    assert upload(client, fixture_bytes()).status_code == 403


def test_export_round_trips(client, auth, admin):
    import_file(fixture_bytes())
    auth.login("root")
    response = client.get("/regions/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data), read_only=True).active
                .iter_rows(values_only=True))
    assert rows[0][:2] == ("Division code", "Name")
    assert ("350421200201", "罗翠村", "村社区", "350421200000") in [r[:4] for r in rows]
    plan = import_file(response.data, "regions.xlsx")
    assert (len(plan.new), len(plan.renamed), plan.unchanged) == (0, 0, 13)


# ---- command line --------------------------------------------------------------------------

def test_cli_imports_and_dry_run_writes_nothing(runner, tmp_path):
    result = runner.invoke(args=["regions", "import", FIXTURE, "--dry-run"])
    assert result.exit_code == 0 and "将新增 13 个" in result.output
    assert region_count() == 0
    result = runner.invoke(args=["regions", "import", FIXTURE])
    assert result.exit_code == 0 and region_count() == 13
    result = runner.invoke(args=["regions", "import", FIXTURE])
    assert result.exit_code == 0 and "不变 13 个" in result.output and region_count() == 13


def test_cli_exits_1_listing_every_bad_row(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n350421000000,明溪县\n350421300200,孤村\n123,短\n", encoding="utf-8")
    result = runner.invoke(args=["regions", "import", str(bad)])
    assert result.exit_code == 1
    assert "第 3 行" in result.output and "第 4 行" in result.output
    assert "第 2 行" not in result.output
    assert region_count() == 0
    xls = tmp_path / "tree.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    result = runner.invoke(args=["regions", "import", str(xls)])
    assert result.exit_code == 1 and ".xls" in result.output


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_cli_speaks_the_configured_language_throughout(app, runner, tmp_path, language):
    """No line mixes English framing with Chinese reasons: everything follows LIANXIN_LANGUAGE."""
    from flask_babel import refresh

    app.config["BABEL_DEFAULT_LOCALE"] = language
    refresh()  # forget a locale chosen earlier in this test's app context
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n350421300200,孤村\n", encoding="utf-8")
    refused = runner.invoke(args=["regions", "import", str(bad)]).output
    dry = runner.invoke(args=["regions", "import", FIXTURE, "--dry-run"]).output
    created = runner.invoke(args=["users", "create", "clerk9", "--role", "admin"],
                            input="long-password\nlong-password\n").output
    short = runner.invoke(args=["users", "create", "clerk8", "--role", "admin"],
                          input="short\nshort\n").output
    output = refused + dry + created + short
    if language == "en":
        assert "Row 2" in refused and "would rename" in dry and "Created clerk9" in created
        assert "8 characters" in short and not re.search(r"[\u4e00-\u9fff]", output.replace("孤村", ""))
    else:
        assert "第 2 行" in refused and "将新增 13 个" in dry and "已创建账号 clerk9" in created
        assert "密码" in created and "至少需要 8 个字符" in short
        for english in ("row", "bad rows", "would add", "Created", "Password", "characters"):
            assert english not in output, english


def test_places_are_named_not_people_in_chinese(app, client):
    """A place has a 名称, not a person's 姓名: import preview, GBK notice, forms, export."""
    from app.regions.forms import AddRegionForm, RegionNameForm

    factories.user("root", "admin", language="zh_Hans")
    app.config["WTF_CSRF_ENABLED"] = False
    with force_locale("zh_Hans"):
        assert str(tree_import.LABELS["name"]) == "名称"
        _rows, notice = tree_import.read_rows("tree.csv", fixture_bytes().decode().encode("gbk"))
        assert "名称" in notice and "姓名" not in notice
        with app.test_request_context():
            assert RegionNameForm().name.label.text == "名称"
            assert AddRegionForm().name.label.text == "名称"
    client.post("/login", data={"username": "root", "password": factories.PASSWORD})
    preview = upload(client, fixture_bytes().decode().encode("gbk")).get_data(as_text=True)
    assert "名称" in preview and "姓名" not in preview
    import_file(fixture_bytes())
    county = by_code("350421000000")
    page = client.get(f"/regions/{county.id}/manage").get_data(as_text=True)
    assert "名称" in page and "姓名" not in page
    rows = list(load_workbook(io.BytesIO(client.get("/regions/export.xlsx").data), read_only=True)
                .active.iter_rows(values_only=True))
    assert rows[0][:2] == ("统计用区划代码", "名称")


# ---- first run -----------------------------------------------------------------------------

def test_first_run_hint_only_without_an_administrator(runner, app):
    result = runner.invoke(args=["first-run-hint"])
    assert result.exit_code == 0 and "users create admin --role admin" in result.output
    factories.user("root", "admin")
    assert runner.invoke(args=["first-run-hint"]).output == ""


def test_admin_of_an_empty_database_sees_the_steps(client, auth, admin):
    auth.login("root")
    body = client.get("/regions/").get_data(as_text=True)
    assert 'id="first-steps"' in body and "/regions/import" in body
    import_file(fixture_bytes())
    assert 'id="first-steps"' not in client.get("/regions/").get_data(as_text=True)
