"""The shop's pages load on a 360-px phone with no script error, CSP violation or sideways scroll."""
import pytest

from tests.e2e import has_no_horizontal_scroll, sign_in

PAGES = {
    "shop": ["/shop", "/shop/scan", "/shop/products", "/shop/products/1", "/shop/products/new",
             "/shop/redemptions", "/shop/statement"],
    "committee": ["/shop/products", "/shop/redemptions", "/shop/statement"],
    "household": ["/me/pay", "/shop/catalogue", "/shop/order", "/shop/vouchers"],
}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_shop_pages_are_clean_on_a_phone(live_server, phone, username):
    errors = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(phone, live_server.url, username)
    for path in PAGES[username]:
        response = phone.goto(live_server.url + path)
        assert response.status == 200, path
        assert has_no_horizontal_scroll(phone), path
    assert errors == []
