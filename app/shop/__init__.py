"""The points shop (积分超市): catalogue and stock, payment codes, the counter's scanner and basket.

Services: shops.py (opening shops, the villages each serves, keeper accounts), catalogue.py
(products, which shop a user works with), stock.py (the only writer of stock), codes.py (payment
codes), cards.py (printed household cards with a PIN), checkout.py (one transaction per sale,
voids).
"""
from flask import Blueprint

bp = Blueprint("shop", __name__)

from app.shop import (cards, notify, views_card_admin, views_cards,  # noqa: E402,F401
                      views_catalogue, views_counter, views_pay, views_reports, views_shops,
                      views_vouchers, vouchers)
