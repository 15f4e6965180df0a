"""The counter's pages: scan or type a code, basket, confirmation, sale, receipt."""
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Household
from app.models.shop import Product, Redemption
from app.shop import codes
from tests.shop_world import make_shop_world


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return make_shop_world()


def _login(client, username):
    client.post("/logout")
    client.post("/login", data={"username": username, "password": "secret-pass"})


def test_typed_code_basket_confirm_sale_receipt(client, w):
    number = codes.issue(w.h1_user)["number"]
    _login(client, "keeper")
    scan = client.get("/shop/scan")
    assert "'wasm-unsafe-eval'" in scan.headers["Content-Security-Policy"]
    assert "unsafe-eval'" not in scan.headers["Content-Security-Policy"].replace("'wasm-unsafe-eval'", "")
    opened = client.post("/shop/scan", data={"code": f"{number[:4]} {number[4:8]} {number[8:]}"})
    assert opened.status_code == 302
    basket_url = opened.headers["Location"]
    page = client.get(basket_url)
    assert "一户" in page.text and 'id="basket-balance">100<' in page.text
    assert "wasm-unsafe-eval" not in page.headers["Content-Security-Policy"]
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    form = {"idempotency_key": key, f"qty-{w.oil.id}": "1", f"qty-{w.soap.id}": "2",
            f"qty-{w.rice.id}": ""}
    confirm = client.post(basket_url + "/confirm", data=form)
    assert confirm.status_code == 200 and 'id="confirm-total">50<' in confirm.text
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == 0  # confirming writes nothing
    sale = client.post(basket_url + "/checkout", data=form)
    again = client.post(basket_url + "/checkout", data=form)  # a double tap
    assert sale.status_code == again.status_code == 302
    assert sale.headers["Location"] == again.headers["Location"]
    receipt = client.get(sale.headers["Location"])
    assert 'id="balance-after">50<' in receipt.text and "食用油" in receipt.text
    db.session.expire_all()
    assert db.session.get(Household, w.h1.id).balance == 50
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == 1
    _login(client, "h1")  # the household sees it in its history at once
    assert "-50" in client.get("/ledger/me/history").text


def test_short_basket_goes_back_with_the_points_missing(client, w):
    secret = codes.issue(w.h1_user)["secret"]
    _login(client, "keeper")
    basket_url = client.post("/shop/scan", data={"code": secret}).headers["Location"]
    back = client.post(basket_url + "/checkout", data={"idempotency_key": "k",
                                                       f"qty-{w.rice.id}": "3"}, follow_redirects=True)
    assert back.status_code == 200 and "50" in back.text and "一户" in back.text
    assert db.session.get(Product, w.rice.id).stock == 10


@pytest.mark.parametrize("field", ["qty-99999999999999999999", "qty-0", "qty-x"])
def test_a_basket_naming_no_possible_product_goes_back_with_a_message(client, w, field):
    """A forged field is refused as an unreadable basket on both databases (SQLite cannot even
    hold the number), and nothing is sold."""
    secret = codes.issue(w.h1_user)["secret"]
    _login(client, "keeper")
    basket_url = client.post("/shop/scan", data={"code": secret}).headers["Location"]
    for step in ("/confirm", "/checkout"):
        back = client.post(basket_url + step, data={"idempotency_key": "k", field: "1"})
        assert back.status_code == 302 and back.headers["Location"].endswith(basket_url)
        assert "无法读取购物篮" in client.get(basket_url).text
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == 0


def test_bad_codes_and_other_villages_get_a_message(client, w):
    _login(client, "keeper")
    response = client.post("/shop/scan", data={"code": "P1notacode"})
    assert response.status_code == 409 and "已使用、已过期或无效" in response.text
    far = codes.issue(w.far_user)["secret"]
    response = client.post("/shop/scan", data={"code": far})
    assert response.status_code == 403 and "不属于本村积分超市" in response.text
    # the other village's code is not held by the refused lookup
    assert codes.hold(w.other_keeper, far).held_by == w.other_keeper.id
    assert client.get("/shop/basket/999").status_code == 302  # unknown basket: back to scan


def test_typed_failures_are_rate_limited_per_keeper(client, w):
    _login(client, "keeper")
    for _ in range(5):  # scanned junk does not count
        assert client.post("/shop/scan", data={"code": "P1junk"}).status_code == 409
    for i in range(10):
        assert client.post("/shop/scan", data={"code": f"{i:012d}"}).status_code == 409
    assert client.post("/shop/scan", data={"code": "123412341234"}).status_code == 429
    _login(client, "keeper2")  # another shop keeper is not affected
    assert client.post("/shop/scan", data={"code": "123412341234"}).status_code == 409


def test_only_shop_keepers_use_the_counter(client, w):
    _login(client, "committee")
    assert client.get("/shop/scan").status_code == 403
    _login(client, "h1")
    assert client.get("/shop/scan").status_code == 403
