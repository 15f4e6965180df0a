"""The counter with a real camera feed: the household's /me/pay QR, captured as an image and
played to the shop keeper's /shop/scan through Chromium's fake camera, pays for a basket."""
import sqlalchemy as sa

from app.extensions import db
from app.models import Household, User
from app.shop.catalogue import services as catalogue
from tests.e2e import has_no_horizontal_scroll, sign_in
from tests.e2e.camera import camera_phone, video_of


def _household(app, username):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        household = db.session.get(Household, user.household_id)
        db.session.expunge_all()
        return household


def _ensure_stock(app):
    """The demo shop's products in stock; the test needs some."""
    with app.app_context():
        keeper = db.session.scalar(sa.select(User).where(User.username == "shop"))
        ids = [p.id for p in catalogue.products(keeper.shop_id, active_only=True) if p.stock > 0]
        db.session.remove()
    assert ids, "the demo shop has products in stock"
    return ids



def test_pay_code_scanned_by_camera_pays_for_a_basket(live_server, browser, phone, tmp_path, screenshots):
    household = _household(live_server.app, "household")
    _ensure_stock(live_server.app)

    # The household shows its code.
    sign_in(phone, live_server.url, "household")
    phone.goto(f"{live_server.url}/me/pay")
    qr = phone.locator("#pay-qr")
    qr.wait_for(state="visible")
    assert len(phone.locator("#pay-number").inner_text().replace(" ", "")) == 12
    assert has_no_horizontal_scroll(phone)
    png = tmp_path / "pay.png"
    qr.screenshot(path=str(png))
    phone.screenshot(path=str(screenshots / "pay-360.png"), full_page=True)
    video = tmp_path / "pay.y4m"
    video_of(png, video)

    with camera_phone(browser, video) as (page, problems):
        sign_in(page, live_server.url, "shop")
        page.goto(f"{live_server.url}/shop/scan")
        page.wait_for_url("**/shop/basket/*")
        assert household.head_name in page.locator("#household").inner_text()
        balance = int(page.locator("#basket-balance").inner_text())
        assert balance == _household(live_server.app, "household").balance
        first = page.locator("[data-product]").first
        price = int(first.get_attribute("data-points"))
        first.locator("[data-step='1']").click()
        first.locator("[data-step='1']").click()
        assert page.locator("#basket-total").inner_text() == str(2 * price)
        assert page.locator("#basket-left").inner_text() == str(balance - 2 * price)
        assert has_no_horizontal_scroll(page)
        page.screenshot(path=str(screenshots / "basket-360.png"), full_page=True)
        with page.expect_navigation():
            page.click("#basket-next")
        assert page.locator("#confirm-total").inner_text() == str(2 * price)
        with page.expect_navigation():
            page.click("#confirm-form button[type=submit]")
        assert page.locator("#balance-after").inner_text() == str(balance - 2 * price)
        page.screenshot(path=str(screenshots / "receipt-360.png"), full_page=True)
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert _household(live_server.app, "household").balance == balance - 2 * price
    with live_server.app.app_context():
        from app.ledger.reads import verify
        assert verify() == []


def test_no_camera_says_so_and_the_typed_number_works(live_server, phone):
    """Without a camera (or permission) the page says why, and the 12-digit number still pays."""
    _ensure_stock(live_server.app)
    errors = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(phone, live_server.url, "household2")
    phone.goto(f"{live_server.url}/me/pay")
    phone.locator("#pay-qr").wait_for(state="visible")
    number = phone.locator("#pay-number").inner_text()
    phone.context.clear_cookies()
    sign_in(phone, live_server.url, "shop")
    phone.goto(f"{live_server.url}/shop/scan")
    scanner = phone.locator("[data-scanner]")
    phone.wait_for_selector("[data-scanner][data-state=failed]")
    assert scanner.get_attribute("data-decoder") == "zxing"  # the wasm reader compiled under the CSP
    message = phone.locator("[data-scanner-status]").inner_text()
    assert message in (scanner.get_attribute("data-msg-denied"), scanner.get_attribute("data-msg-nocamera"))
    assert phone.evaluate("document.activeElement.id") == "code"
    phone.fill("#code", number)
    with phone.expect_navigation():
        phone.click("#code-form button[type=submit]")
    assert "/shop/basket/" in phone.url
    assert _household(live_server.app, "household2").head_name in phone.locator("#household").inner_text()
    assert not errors, errors
