"""The shop's API calls as each demo account: payment codes, the catalogue, redemptions."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Household, LedgerEntry, Product, Redemption, User
from app.shop.catalogue import services as catalogue
from tests import api_world


@pytest.fixture
def world(app, client):
    made = api_world.load(app, client)
    keeper = db.session.scalar(sa.select(User).where(User.username == "shop"))
    rice = catalogue.create_product(keeper, keeper.shop_id, "API大米", 50, "粮油", "袋")
    soap = catalogue.create_product(keeper, keeper.shop_id, "API肥皂", 5, "日用品", "块")
    catalogue.receive_goods(keeper, rice.id, 2, "village")
    gold = catalogue.create_product(keeper, keeper.shop_id, "API金条", 99_999, "贵重", "根")
    catalogue.receive_goods(keeper, soap.id, 50, "village")
    catalogue.receive_goods(keeper, gold.id, 1, "donation")
    made.ids.update(rice=rice.id, soap=soap.id, gold=gold.id)
    return made


def _code(world, username="household"):
    response = world.post(username, "/payment-codes")
    assert response.status_code == 201, response.json
    return response.json


def _balance(household_id):
    db.session.expire_all()
    return db.session.get(Household, household_id).balance


def test_payment_codes_are_for_households_only(world):
    made = _code(world)
    assert set(made) == {"code", "number", "expires_at"} and len(made["number"]) == 12
    assert made["code"] != _code(world)["code"]
    for username in ("shop", "committee", "city", "admin", "gridleader"):
        assert world.post(username, "/payment-codes").status_code == 403


def test_products_for_the_shop_keeper_and_its_villages_households(world):
    products = world.get("shop", "/products").json
    assert {"API大米", "API肥皂", "API金条"} <= {p["name"] for p in products}
    keeper = db.session.scalar(sa.select(User).where(User.username == "shop"))
    on_sale = db.session.scalars(sa.select(Product.id).where(Product.shop_id == keeper.shop_id,
                                                             Product.active.is_(True)))
    assert sorted(p["id"] for p in products) == sorted(on_sale)
    assert set(products[0]) == {"id", "name", "points", "stock"}
    assert world.get("household", "/products").json == products
    assert world.get("outsider", "/products").status_code == 404  # 五一村 has no shop
    for username in ("committee", "city", "admin", "gridleader"):
        assert world.get(username, "/products").status_code == 403


def test_a_redemption_debits_once_and_replays_give_the_first_sale(world):
    ids, household = world.ids, world.ids["household"]
    before = _balance(household)
    sales = db.session.scalar(sa.select(sa.func.count(Redemption.id)))
    code = _code(world)["code"]
    body = {"code": code, "items": [{"product_id": ids["soap"], "quantity": 2}], "idempotency_key": "s-1"}
    sale = world.post("shop", "/redemptions", body)
    assert sale.status_code == 201
    assert sale.json["household_id"] == household and sale.json["points"] == 10
    assert sale.json["balance_after"] == before - 10 == _balance(household)
    assert world.post("shop", "/redemptions", body).json == sale.json
    assert world.post("shop", "/redemptions", {**body, "items": [{"product_id": ids["soap"], "quantity": 3}]}
                      ).status_code == 409
    # The code is spent: without the key it is a used code, whatever is in the basket.
    used = world.post("shop", "/redemptions", {"code": code, "items": body["items"]})
    assert used.status_code == 409
    assert _balance(household) == before - 10
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == sales + 1


def test_refusals_change_nothing(world):
    ids = world.ids
    entries = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))
    for code, items, status in [
        ("made-up-code", [{"product_id": ids["soap"], "quantity": 1}], 409),
        (_code(world)["code"], [{"product_id": ids["rice"], "quantity": 3}], 422),  # 2 in stock
        (_code(world, "household2")["code"], [{"product_id": ids["gold"], "quantity": 1}], 422),
        (_code(world)["code"], [{"product_id": 2147483647, "quantity": 1}], 422),
    ]:
        response = world.post("shop", "/redemptions", {"code": code, "items": items})
        assert response.status_code == status, response.json
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == entries
    db.session.expire_all()
    assert db.session.get(Product, ids["rice"]).stock == 2
    for username in ("household", "committee", "city", "admin", "outsider"):
        code = _code(world)["code"]
        assert world.post(username, "/redemptions", {
            "code": code, "items": [{"product_id": ids["soap"], "quantity": 1}]}).status_code == 403
    outsider_code = _code(world, "outsider")["code"]
    assert world.post("shop", "/redemptions", {
        "code": outsider_code, "items": [{"product_id": ids["soap"], "quantity": 1}]}).status_code in (403, 409)
    bad = world.post("shop", "/redemptions", {"code": "x", "items": [{"product_id": 1, "quantity": 0}]})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "items.0.quantity"
