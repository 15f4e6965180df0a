"""A new village's household list (issue 19, item 4): grids it lacks are offered for creation with
one tick and made in the import's own transaction; phones are checked; names with spaces flagged."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.households import phones
from app.models import AuditLog, Grid, Household
from tests import factories
from tests.test_households_import import count as _count, token_of, upload, xlsx


@pytest.fixture
def village(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    _city, _county, _township, (first, _second) = factories.region_tree()
    factories.grid(first, "一组")
    factories.user("c1", "committee", region_id=first.id)
    return first


def _rows(n=50):
    """n households over three grids, two of them new to the village."""
    grids = ["一组", "二组", "三组"]
    return [[f"{i:04d}", f"户主{i}", 3, f"{i}号", f"1380000{i:04d}", grids[i % 3]] for i in range(1, n + 1)]


def count(village):
    db.session.rollback()  # a fresh read: the pages wrote in their own transactions
    return _count(village)


def _grids(village):
    db.session.rollback()
    return sorted(db.session.scalars(sa.select(Grid.name).where(Grid.village_id == village.id)))


def test_new_grids_are_offered_once_and_created_with_the_import(client, auth, village):
    auth.login("c1")
    response = upload(client, xlsx(_rows()))
    page = response.text
    # No row is refused for its grid: one tick box names the two new grids.
    assert 'id="import-problems"' not in page and 'id="import-new-grids"' in page
    assert "新建这 2 个网格：二组、三组" in page and 'required' in page.split('id="import-new-grids"')[1][:600]
    token = token_of(response)
    assert token and count(village) == 0
    # Confirmed without the tick: nothing imported, the same file offered again.
    refused = client.post("/households/import/confirm", data={"token": token})
    assert refused.status_code == 409 and "请勾选" in refused.text and count(village) == 0
    assert _grids(village) == ["一组"]
    token = token_of(refused)
    assert token
    done = client.post("/households/import/confirm", data={"token": token, "create_grids": "y"})
    assert done.status_code == 302 and count(village) == 50
    assert _grids(village) == ["一组", "三组", "二组"]
    by_grid = dict(db.session.execute(sa.select(Grid.name, sa.func.count(Household.id))
                                      .join(Household, Household.grid_id == Grid.id)
                                      .where(Grid.village_id == village.id).group_by(Grid.name)).all())
    assert by_grid == {"一组": 16, "二组": 17, "三组": 17}
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id))
                             .where(AuditLog.action == "grid_created")) == 2


def test_grids_are_not_created_when_the_import_fails(client, auth, village):
    auth.login("c1")
    response = upload(client, xlsx(_rows(3)))
    token = token_of(response)
    factories.household(village, number="0002")  # someone registers 0002 meanwhile
    refused = client.post("/households/import/confirm", data={"token": token, "create_grids": "y"})
    assert refused.status_code == 409 and count(village) == 1
    assert _grids(village) == ["一组"]  # all or nothing: the new grids went with it


def test_phones_are_checked_and_names_with_spaces_flagged_csv(client, auth, village):
    auth.login("c1")
    text = ("户号,户主,人口,住址,电话,网格\r\n"
            "0001,  张三  ,3,,138 0000 0001,一组\r\n"
            "0002,李 四,2,,0598-1234567,一组\r\n"
            "0003,王五,2,,059812345678,\r\n"
            "0004,赵六,2,,1380000001,\r\n"        # ten digits
            "0005,钱七,2,,12800000001,\r\n"       # no such mobile prefix
            "0006,孙八,2,,1234567,\r\n")          # no area code
    response = upload(client, text.encode("utf-8"), name="list.csv")
    page = response.text
    problems = page.split('id="import-problems"')[1].split("</table>")[0]
    for row in (5, 6, 7):
        assert f'<th scope="row">{row}</th>' in problems
    for row in (2, 3, 4):
        assert f'<th scope="row">{row}</th>' not in problems
    assert "电话 1380000001 既不是 11 位手机号" in problems
    warnings = page.split('id="import-warnings"')[1].split("</table>")[0]
    assert '<th scope="row">3</th>' in warnings and "姓名中有空格" in warnings
    assert '<th scope="row">2</th>' not in warnings  # stripped, no inner space
    assert token_of(response) is None


def test_a_name_with_a_space_imports_with_its_warning_xlsx(client, auth, village):
    auth.login("c1")
    response = upload(client, xlsx([["0001", " 李 四 ", 2, "", "0598 123 4567", "一组"]]))
    assert "姓名中有空格" in response.text
    token = token_of(response)
    assert token
    client.post("/households/import/confirm", data={"token": token})
    imported = db.session.scalar(sa.select(Household).where(Household.village_id == village.id))
    assert imported.head_name == "李 四" and imported.phone == "0598 123 4567"


@pytest.mark.parametrize("text,good", [
    ("13800000001", True), ("138-0000-0001", True), ("+86 138 0000 0001", True),
    ("0598-1234567", True), ("059812345678", True), ("010-12345678", True), ("", True),
    ("1380000001", False), ("12800000001", False), ("1234567", False), ("0598-12345", False),
    ("138abc", False), ("00598-1234567", False),
])
def test_phone_rule(app, text, good):
    assert (phones.problem(text) is None) == good
