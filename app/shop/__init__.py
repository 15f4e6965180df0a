"""The points shop (积分超市): catalogue and stock, payment codes, the counter's scanner and basket.

The shop's core, shared by its parts, sits here: codes.py (payment codes), checkout.py (one
transaction per sale, voids), stock.py (the only writer of stock), forms.py, views.py (the
household's pay page). Each part is a package of its own: counter/ (scan, basket, receipts),
catalogue/ (products, which shop a user works with), cards/ (printed household cards with a PIN),
vouchers/ (order ahead), shops/ (opening shops, the villages each serves, keeper accounts),
reports/ (the day's redemptions, the monthly statement, spreadsheets). One blueprint, `shop`, for
all of them: each part's views register their routes on it when imported below.
"""
from flask import Blueprint

bp = Blueprint("shop", __name__)

from app.shop import views  # noqa: E402,F401
from app.shop.cards import notify as card_notify, views as card_views  # noqa: E402,F401
from app.shop.catalogue import views as catalogue_views  # noqa: E402,F401
from app.shop.counter import views as counter_views  # noqa: E402,F401
from app.shop.reports import views as report_views  # noqa: E402,F401
from app.shop.shops import views as shop_views  # noqa: E402,F401
from app.shop.vouchers import services as voucher_services, views as voucher_views  # noqa: E402,F401
