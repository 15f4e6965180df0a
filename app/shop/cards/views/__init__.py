"""Household cards' pages: the committee's card management (admin.py) and the counter's PIN step
(pin.py)."""
from app.shop.cards.views import admin, pin  # noqa: F401
