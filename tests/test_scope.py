"""Scope through the client: each account sees its own part of the tree and nothing else."""
import pytest

from app.models import RegionLevel, Role
from app.regions.services import add_regions
from app.extensions import db
from tests import factories


@pytest.fixture
def world(app):
    """Two counties; county A has two villages, county B one."""
    app.config["WTF_CSRF_ENABLED"] = False
    city, county_a, township_a, (v1, v2) = factories.region_tree(villages=("一村", "二村"))
    (county_b,) = add_regions([("乙县", RegionLevel.COUNTY, city)])
    (township_b,) = add_regions([("乙镇", RegionLevel.TOWNSHIP, county_b)])
    (v3,) = add_regions([("三村", RegionLevel.VILLAGE, township_b)])
    db.session.commit()
    h1 = factories.household(v1, head_name="甲户")
    h1b = factories.household(v1, head_name="乙户")
    h2 = factories.household(v2, head_name="丙户")
    h3 = factories.household(v3, head_name="丁户")
    factories.user("house1", Role.HOUSEHOLD, household_id=h1.id)
    factories.user("com1", Role.COMMITTEE, region_id=v1.id)
    factories.user("countyA", Role.OFFICIAL, region_id=county_a.id)
    factories.user("cityoff", Role.OFFICIAL, region_id=city.id)
    return {"city": city, "county_a": county_a, "v1": v1, "v2": v2, "v3": v3,
            "h1": h1, "h1b": h1b, "h2": h2, "h3": h3}


def test_household_sees_only_itself(client, auth, world):
    auth.login("house1")
    me = client.get("/me").get_data(as_text=True)
    assert "甲户" in me and "乙户" not in me
    for other in (world["h1b"], world["h2"], world["h3"]):
        assert client.get(f"/households/{other.id}").status_code in (403, 404)
    assert client.get("/households/").status_code in (403, 404)
    assert client.get("/regions/").status_code in (403, 404)


def test_committee_sees_only_its_village(client, auth, world):
    auth.login("com1")
    register = client.get("/households/").get_data(as_text=True)
    assert "甲户" in register and "乙户" in register and "丙户" not in register
    assert client.get(f"/households/{world['h1'].id}").status_code == 200
    assert client.get(f"/households/{world['h2'].id}").status_code == 404
    assert client.get(f"/households/?village={world['v2'].id}").status_code == 404
    assert client.get(f"/households/{world['h2'].id}/edit").status_code == 404
    response = client.post(f"/households/{world['h3'].id}/edit",
                           data={"number": "9", "head_name": "x", "members": 1, "grid_id": 0})
    assert response.status_code == 404


def test_official_sees_exactly_its_subtree(client, auth, world):
    auth.login("countyA")
    page = client.get("/regions/").get_data(as_text=True)
    assert "一村" in page and "二村" in page and "三村" not in page
    assert client.get(f"/households/?village={world['v2'].id}").status_code == 200
    assert client.get(f"/households/?village={world['v3'].id}").status_code == 404
    assert client.get(f"/households/{world['h3'].id}").status_code == 404
    assert client.get(f"/regions/?region={world['v3'].id}").status_code == 404
    # Officials read; they do not change a village's register.
    assert client.get(f"/households/{world['h1'].id}/edit").status_code == 403


def test_city_official_sees_every_village(client, auth, world):
    auth.login("cityoff")
    page = client.get("/regions/").get_data(as_text=True)
    assert "一村" in page and "二村" in page and "三村" in page
    assert client.get(f"/households/{world['h3'].id}").status_code == 200


def test_scope_function_counts(app, world):
    import sqlalchemy as sa

    from app.access import scope
    from app.models import User

    def ids(username):
        user = db.session.scalar(sa.select(User).where(User.username == username.lower()))
        return {h.id for h in db.session.scalars(scope.households_query(user))}

    assert ids("house1") == {world["h1"].id}
    assert ids("com1") == {world["h1"].id, world["h1b"].id}
    assert ids("countyA") == {world["h1"].id, world["h1b"].id, world["h2"].id}
    assert ids("cityoff") == {h.id for h in (world["h1"], world["h1b"], world["h2"], world["h3"])}


def test_shop_keeper_lands_on_its_shop(app, client, auth, world):
    shop = factories.shop(world["v1"], name="一村积分超市")
    factories.user("keeper", Role.SHOP, shop_id=shop.id)
    auth.login("keeper")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "一村积分超市" in page and "一村" in page
    assert client.get("/households/").status_code == 403
    assert client.get("/regions/").status_code == 403
