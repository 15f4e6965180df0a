"""The committee's register pages: list, search, create, edit, deactivate, grids, accounts."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog, Household, Role, User
from tests import factories


@pytest.fixture
def village(app, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    city, county, township, (v, other) = factories.region_tree(villages=("本村", "外村"))
    factories.user("com", Role.COMMITTEE, region_id=v.id)
    auth.login("com")
    v.other = other
    return v


def _form(**overrides):
    data = {"number": "0101", "head_name": "王大明", "members": "4", "address": "一组1号",
            "phone": "13800000000", "grid_id": "0"}
    data.update(overrides)
    return data


def test_create_and_list(client, village):
    grid = factories.grid(village, "一网格")
    response = client.post("/households/new", data=_form(grid_id=str(grid.id)))
    assert response.status_code == 302
    household = db.session.scalar(sa.select(Household).where(Household.number == "0101"))
    assert household.village_id == village.id and household.grid_id == grid.id
    assert household.balance == 0 and household.score == 0
    page = client.get("/households/?q=王大").get_data(as_text=True)
    assert "王大明" in page


@pytest.mark.parametrize("overrides", [
    {"members": "abc"}, {"members": "-3"}, {"members": "100000000000000000000"}, {"members": "0"},
    {"head_name": ""}, {"number": ""}, {"number": "a b<script>"}, {"head_name": "x" * 65},
    {"phone": "call me"}, {"grid_id": "not-a-number"},
])
def test_bad_input_writes_nothing(client, village, overrides):
    response = client.post("/households/new", data=_form(**overrides))
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 0


def test_grid_of_another_village_is_refused(client, village):
    foreign = factories.grid(village.other, "外网格")
    response = client.post("/households/new", data=_form(grid_id=str(foreign.id)))
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 0


def test_duplicate_number_is_a_clear_message(client, village):
    factories.household(village, number="0101")
    response = client.post("/households/new", data=_form())
    assert response.status_code == 200
    assert "0101" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 1


def test_edit_and_deactivate_keeps_the_household(client, village):
    household = factories.household(village, number="0007", head_name="李四")
    response = client.post(f"/households/{household.id}/edit", data=_form(number="0007",
                                                                         head_name="李四新"))
    assert response.status_code == 302
    client.post(f"/households/{household.id}/active", data={"active": "0"})
    db.session.expire_all()
    kept = db.session.get(Household, household.id)
    assert kept.head_name == "李四新" and kept.active is False
    assert "李四新" not in client.get("/households/").get_data(as_text=True)
    assert "李四新" in client.get("/households/?status=inactive").get_data(as_text=True)
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"household_updated", "household_deactivated"} <= actions


def test_register_is_paginated(app, client, village):
    app.config["PAGE_SIZE"] = 10
    for i in range(25):
        factories.household(village, number=f"{i:04d}", head_name=f"户{i:02d}")
    first = client.get("/households/").get_data(as_text=True)
    assert "户00" in first and "户10" not in first
    import re

    cursor = re.search(r'after=([A-Za-z0-9_\-]+)', first).group(1)
    second = client.get(f"/households/?after={cursor}").get_data(as_text=True)
    assert "户10" in second and "户00" not in second
    # A forged cursor starts again rather than failing.
    assert client.get("/households/?after=%%%garbage").status_code == 200


def test_committee_creates_household_account_and_resets_password(client, village, auth):
    household = factories.household(village)
    response = client.post(f"/households/{household.id}/accounts",
                           data={"username": "wang", "password": "first-pass-1"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "wang"))
    assert user.role == Role.HOUSEHOLD and user.household_id == household.id
    client.post(f"/households/accounts/{user.id}/password", data={"password": "second-pass-2"})
    client.post("/logout")
    # A password the committee chose must be replaced by the household's own first.
    assert auth.login("wang", "second-pass-2").headers["Location"] == "/password"
    assert client.get("/me").headers["Location"] == "/password"
    client.post("/password", data={"current": "second-pass-2", "new": "my-own-garden-9",
                                   "confirm": "my-own-garden-9"})
    assert client.get("/me").status_code == 200


def test_committee_cannot_reset_accounts_elsewhere(client, village):
    foreign = factories.household(village.other)
    other_user = factories.user("foreign", Role.HOUSEHOLD, household_id=foreign.id)
    admin = factories.user("root2", Role.ADMIN)
    for target in (other_user, admin):
        response = client.post(f"/households/accounts/{target.id}/password",
                               data={"password": "hijacked-pass"})
        assert response.status_code == 404
    assert client.post(f"/households/{foreign.id}/accounts",
                       data={"username": "sneaky", "password": "sneaky-pass"}).status_code == 404


def test_grids_and_leader_account(client, village):
    client.post("/households/grids", data={"name": "第一网格"})
    page = client.get("/households/grids").get_data(as_text=True)
    assert "第一网格" in page
    from app.models import Grid

    grid = db.session.scalar(sa.select(Grid).where(Grid.name == "第一网格"))
    client.post(f"/households/grids/{grid.id}/leader", data={"username": "leader1",
                                                             "password": "leader-pass"})
    leader = db.session.scalar(sa.select(User).where(User.username == "leader1"))
    assert leader.role == Role.GRID_LEADER and leader.grid_id == grid.id
    # Only one leader per grid.
    client.post(f"/households/grids/{grid.id}/leader", data={"username": "leader2",
                                                             "password": "leader-pass"})
    assert db.session.scalar(sa.select(User).where(User.username == "leader2")) is None


def test_grid_leader_sees_only_its_grid(client, village, auth):
    grid = factories.grid(village, "一格")
    inside = factories.household(village, head_name="格内户", grid_obj=grid)
    outside = factories.household(village, head_name="格外户")
    factories.user("gl", Role.GRID_LEADER, grid_id=grid.id)
    client.post("/logout")
    auth.login("gl")
    page = client.get("/households/").get_data(as_text=True)
    assert "格内户" in page and "格外户" not in page
    assert client.get(f"/households/{outside.id}").status_code == 404
    assert client.get(f"/households/{inside.id}/edit").status_code == 403


def test_grids_are_listed_in_the_order_people_expect(client, village):
    for name in ("第10网格", "第2网格", "第1网格"):
        factories.grid(village, name)
    page = client.get("/households/grids").get_data(as_text=True)
    assert page.index("第1网格") < page.index("第2网格") < page.index("第10网格")


def test_name_key_sorts_by_pinyin():
    from app.i18n import name_key

    names = ["沙县区", "明溪县", "三元区", "永安市"]
    assert sorted(names, key=name_key) == ["明溪县", "三元区", "沙县区", "永安市"]


def test_register_shows_what_waits_for_the_committee(app, client, village):
    from app.ledger import claims, rules

    household = factories.household(village)
    owner = factories.user("owner", Role.HOUSEHOLD, household_id=household.id)
    committee = db.session.scalar(sa.select(User).where(User.username == "com"))
    category = rules.create_category(committee, village.id, "志愿服务")
    rule = rules.create_rule(committee, village.id, category.id, "ZY01", "志愿服务", 5)
    assert "alert-link" not in client.get("/households/").get_data(as_text=True)
    claims.submit_claim(owner, household.id, rule.id, "打扫了村道")
    page = client.get("/households/").get_data(as_text=True)
    assert f'href="/ledger/claims?village={village.id}"' in page
