"""The shop's pages load on a 360-px phone with no script error, CSP violation or sideways scroll."""
import pytest

from tests.e2e import assert_pages_clean

PAGES = {
    "shop": ["/shop", "/shop/scan", "/shop/products", "/shop/products/1", "/shop/products/new",
             "/shop/redemptions", "/shop/statement"],
    "committee": ["/shop/products", "/shop/redemptions", "/shop/statement", "/shop/shops",
                  "/shop/shops/1"],
    "city": ["/shop/shops", "/shop/shops/1"],
    "household": ["/me/pay", "/shop/catalogue", "/shop/order", "/shop/vouchers"],
}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_shop_pages_are_clean_on_a_phone(live_server, phone, username):
    assert_pages_clean(phone, live_server.url, username, PAGES[username])
