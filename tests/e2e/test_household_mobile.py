"""A household on a cheap phone: signs in and sees its own figures, in Chinese, without sideways scroll."""
import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Household, User
from tests.e2e import has_no_horizontal_scroll, sign_in

# Figures may later be formatted with thousands separators ("1,234").
NUMBER = re.compile(r"^-?\d{1,3}(,?\d{3})*$")


def _household_of(app, username):
    """The household row behind a demo household account."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        household = db.session.get(Household, user.household_id)
        db.session.expunge_all()
        return household


def test_login_page_fits_a_phone(live_server, phone, screenshots):
    phone.goto(f"{live_server.url}/login")

    assert phone.locator("html").get_attribute("lang") == "zh-Hans"
    assert phone.locator("input[name=username]").is_visible()
    assert phone.locator("input[name=password]").is_visible()
    assert has_no_horizontal_scroll(phone)
    phone.screenshot(path=str(screenshots / "login-360.png"), full_page=True)


def test_household_sees_its_figures_on_a_phone(live_server, phone, screenshots):
    household = _household_of(live_server.app, "household")

    sign_in(phone, live_server.url, "household")

    assert phone.url == f"{live_server.url}/me"
    assert phone.locator("html").get_attribute("lang") == "zh-Hans"
    balance = phone.locator("#balance").inner_text().strip()
    score = phone.locator("#score").inner_text().strip()
    assert NUMBER.match(balance), balance
    assert NUMBER.match(score), score
    assert int(balance.replace(",", "")) == household.balance
    assert int(score.replace(",", "")) == household.score
    assert phone.locator("#balance").is_visible() and phone.locator("#score").is_visible()
    assert household.head_name in phone.locator("h1").inner_text()
    assert has_no_horizontal_scroll(phone)
    phone.screenshot(path=str(screenshots / "household-me-360.png"), full_page=True)
