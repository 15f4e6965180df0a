"""Opening shops, the villages a shop serves, and its keepers' accounts."""
import re

import pytest
import sqlalchemy as sa

from app.errors import InvalidInput, NotAllowed, NotFound
from app.extensions import db
from app.ledger import queries
from app.models import ShopVillage, User
from app.regions import manage
from app.shop import checkout, codes, counter, shops
from tests import factories
from tests.shop_world import make_shop_world


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    world = make_shop_world()
    world.township_official = factories.user("township", "official", region_id=world._township.id)
    world.admin = factories.user("admin", "admin")
    return world


def _served(shop_id):
    return set(db.session.scalars(sa.select(ShopVillage.village_id).where(ShopVillage.shop_id == shop_id)))


def test_a_shop_serves_its_own_village_from_the_start(w):
    village = factories.village("丙村", township=w._township)
    shop = shops.open_shop(factories.user("c3", "committee", region_id=village.id), village.id, " 丙村超市 ")
    assert shop.name == "丙村超市" and _served(shop.id) == {village.id}
    with pytest.raises(NotAllowed):
        shops.open_shop(w.committee, village.id, "别村的店")
    with pytest.raises(InvalidInput):
        shops.open_shop(w.committee, w._township.id, "镇上的店")  # not a village
    with pytest.raises(InvalidInput):
        shops.open_shop(w.committee, w.home.id, "   ")


def test_only_an_official_above_lets_a_shop_serve_another_village(w):
    with pytest.raises(NotAllowed):  # a committee cannot open another village's households to its shop
        shops.set_served(w.committee, w.shop.id, [w.other.id])
    assert shops.set_served(w.township_official, w.shop.id, [w.other.id]) == sorted([w.home.id, w.other.id])
    assert _served(w.shop.id) == {w.home.id, w.other.id}
    far_away = factories.village("远村")  # another township
    with pytest.raises(InvalidInput):
        shops.set_served(w.admin, w.shop.id, [far_away.id])
    assert shops.set_served(w.township_official, w.shop.id, []) == [w.home.id]  # its own stays


def test_a_household_of_a_served_village_pays_there_and_of_others_not(w):
    shown = codes.issue(w.far_user)
    with pytest.raises(NotAllowed):
        counter.open_basket(w.keeper, shown["secret"])
    shops.set_served(w.township_official, w.shop.id, [w.other.id])
    code = counter.open_basket(w.keeper, shown["secret"])
    sale = checkout.checkout(w.keeper, [(w.soap.id, 2)], code_id=code.id, idempotency_key="far-1")
    assert (sale.household_id, sale.points) == (w.far.id, 10)
    assert queries.verify() == []
    # The household of the served village sees the shop in its catalogue too.
    from app.shop import catalogue

    assert {s.id for s in catalogue.shops_for(w.far_user)} == {w.shop.id, w.other_shop.id}
    shops.set_served(w.township_official, w.shop.id, [])
    with pytest.raises(NotAllowed):
        counter.open_basket(w.keeper, codes.issue(w.far_user)["secret"])


def test_keepers_get_one_time_passwords_and_are_switched_off_when_they_leave(w):
    slip = shops.add_keeper(w.committee, w.shop.id, "王店长")
    keeper = db.session.scalar(sa.select(User).where(User.username == slip.username))
    assert (keeper.role, keeper.shop_id, keeper.must_change_password) == ("shop", w.shop.id, True)
    assert keeper.check_password(slip.password) and slip.username.startswith(f"s{w.shop.id}-")
    second = shops.add_keeper(w.committee, w.shop.id, "李店员")
    assert second.username != slip.username
    with pytest.raises(NotFound):
        shops.add_keeper(w.other_committee, w.shop.id, "外人")
    version = keeper.session_version
    shops.set_keeper_active(w.committee, w.shop.id, keeper.id, False)
    assert not keeper.active and keeper.session_version != version
    with pytest.raises(NotFound):  # only this shop's keepers
        shops.set_keeper_active(w.committee, w.shop.id, w.committee.id, False)
    with pytest.raises(InvalidInput):
        shops.add_keeper(w.committee, w.shop.id, "  ")


def test_a_merged_village_keeps_being_served(w):
    village = factories.village("丙村", township=w._township)
    shops.set_served(w.township_official, w.shop.id, [w.other.id, village.id])
    manage.merge_villages(w.admin, village, w.other)
    assert _served(w.shop.id) == {w.home.id, w.other.id}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShopVillage)
                             .where(ShopVillage.village_id == village.id)) == 0


def test_shop_pages_open_serve_and_add_a_keeper(client, w):
    village = factories.village("丙村", township=w._township)
    client.post("/login", data={"username": "township", "password": "secret-pass"})
    page = client.get("/shop/shops")
    assert page.status_code == 200 and "甲村积分超市" in page.text and "丙村" in page.text
    opened = client.post("/shop/shops/new", data={"village_id": village.id, "name": "丙村超市"})
    assert opened.status_code == 302
    shop_id = int(re.search(r"/shop/shops/(\d+)", opened.headers["Location"]).group(1))
    client.post(f"/shop/shops/{w.shop.id}/villages", data={"village_id": [str(w.other.id)]})
    assert _served(w.shop.id) == {w.home.id, w.other.id}
    slips = client.post(f"/shop/shops/{shop_id}/keepers", data={"display_name": "赵店长"})
    assert slips.status_code == 200 and f"s{shop_id}-1" in slips.text
    # Nonsense gets a message, not an error.
    assert client.post(f"/shop/shops/{w.shop.id}/villages",
                       data={"village_id": ["x"]}, follow_redirects=True).status_code == 200
    assert client.post(f"/shop/shops/{shop_id}/keepers", data={"display_name": ""}).status_code == 422
    client.post("/logout")
    client.post("/login", data={"username": "committee2", "password": "secret-pass"})
    assert client.get(f"/shop/shops/{w.shop.id}").status_code == 404
    client.post("/logout")
    client.post("/login", data={"username": "keeper", "password": "secret-pass"})
    assert client.get("/shop/shops").status_code == 403


def test_a_household_served_by_two_shops_starts_at_its_own_and_can_order_at_the_other(client, w):
    shops.set_served(w.township_official, w.shop.id, [w.other.id])
    from app.shop import catalogue, vouchers

    assert [s.id for s in catalogue.shops_for(w.far_user)] == [w.other_shop.id, w.shop.id]
    voucher = vouchers.order(w.far_user, [(w.soap.id, 1)], "far-order", shop_id=w.shop.id)
    assert (voucher.shop_id, voucher.points) == (w.shop.id, 5)
    client.post("/login", data={"username": "far", "password": "secret-pass"})
    page = client.get("/shop/catalogue")
    assert 'id="shop-switch"' in page.text and "乙村积分超市" in page.text.split("<h1")[1][:200]
    other = client.get(f"/shop/catalogue?shop={w.shop.id}")
    assert "大米5kg" in other.text
    placed = client.post(f"/shop/order?shop={w.shop.id}", data={
        f"qty-{w.soap.id}": "2", "idempotency_key": "far-page-order"})
    assert placed.status_code == 302
    assert client.get("/shop/catalogue?shop=999999").status_code == 404
    assert queries.verify() == []
