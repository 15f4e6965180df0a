"""The counter with a printed household card: the card's QR, cut from the committee's A4 sheet,
is played to the shop keeper's /shop/scan through Chromium's fake camera; the household types its
PIN on the keeper's phone and the basket is paid."""
import sqlalchemy as sa

from app.demo.cards import DEMO_PIN
from app.extensions import db
from app.models import Household
from tests.e2e import has_no_horizontal_scroll, sign_in
from tests.e2e.camera import camera_phone, video_of
from tests.e2e.test_shop_scan import _ensure_stock


def _balance(app, name):
    with app.app_context():
        found = db.session.scalar(sa.select(Household.balance).where(Household.head_name == name))
        db.session.remove()
        return found


def test_printed_card_and_pin_pay_for_a_basket(live_server, browser, phone, tmp_path, screenshots):
    _ensure_stock(live_server.app)

    # The committee prints the village's cards; the first one is cut out.
    sign_in(phone, live_server.url, "committee")
    phone.goto(f"{live_server.url}/shop/cards")
    assert phone.locator("#cards-table .badge").count() >= 3
    assert has_no_horizontal_scroll(phone)
    phone.goto(f"{live_server.url}/shop/cards/sheet")
    card = phone.locator(".household-card").first
    name = card.locator(".card-name").inner_text().strip()
    qr = card.locator(".card-qr")
    box = qr.bounding_box()
    assert abs(box["width"] - 30 / 25.4 * 96) < 2  # 30 mm at CSS's 96 px an inch
    png = tmp_path / "card.png"
    qr.screenshot(path=str(png))
    card.screenshot(path=str(screenshots / "household-card.png"))
    video = tmp_path / "card.y4m"
    video_of(png, video)
    before = _balance(live_server.app, name)

    with camera_phone(browser, video) as (page, problems):
        sign_in(page, live_server.url, "shop")
        page.goto(f"{live_server.url}/shop/scan")
        page.wait_for_url("**/shop/card/pin")
        assert name in page.locator("#household").inner_text()
        pin = page.locator("#pin")
        assert pin.get_attribute("inputmode") == "numeric" and pin.get_attribute("autocomplete") == "off"
        assert has_no_horizontal_scroll(page)
        page.screenshot(path=str(screenshots / "card-pin-360.png"), full_page=True)
        wrong = "000000" if DEMO_PIN != "000000" else "111111"
        page.fill("#pin", wrong)
        with page.expect_navigation():
            page.click("#pin-submit")
        assert page.locator(".alert-danger").count() == 1 and "/shop/card/pin" in page.url
        page.fill("#pin", DEMO_PIN)
        with page.expect_navigation():
            page.click("#pin-submit")
        assert "/shop/basket/" in page.url
        assert name in page.locator("#household").inner_text()
        balance = int(page.locator("#basket-balance").inner_text())
        assert balance == before
        first = page.locator("[data-product]").first
        price = int(first.get_attribute("data-points"))
        first.locator("[data-step='1']").click()
        with page.expect_navigation():
            page.click("#basket-next")
        assert page.locator("#confirm-total").inner_text() == str(price)
        with page.expect_navigation():
            page.click("#confirm-form button[type=submit]")
        assert page.locator("#balance-after").inner_text() == str(balance - price)
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert _balance(live_server.app, name) == before - price
    with live_server.app.app_context():
        from app.ledger.reads import verify
        assert verify() == []
