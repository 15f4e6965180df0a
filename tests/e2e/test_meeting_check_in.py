"""Check-in as it happens in the room: the committee's screen shows the live QR code, a household's
phone reads it and checks in with one tap; another village's household is told it cannot."""
import io

import sqlalchemy as sa
import zxingcpp
from PIL import Image

from app.extensions import db
from app.models import Attendance, Meeting, Region, User
from tests.e2e import has_no_horizontal_scroll, sign_in


def _open_meeting_id(app) -> int:
    with app.app_context():
        home = db.session.scalar(sa.select(Region).where(Region.name == "罗翠村"))
        return db.session.scalar(sa.select(Meeting.id).where(
            Meeting.village_id == home.id, Meeting.status == "open"))


def _read_code(page) -> str:
    """The text of the QR code on screen, decoded from a screenshot of it."""
    image = Image.open(io.BytesIO(page.locator("#check-in-code").screenshot()))
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code found on the screen"
    return found[0].text


def _attended(app, username, meeting_id) -> bool:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        return db.session.scalar(sa.select(Attendance.id).where(
            Attendance.meeting_id == meeting_id,
            Attendance.household_id == user.household_id)) is not None


def test_household_checks_in_by_scanning_the_screen(live_server, browser, phone, screenshots):
    meeting_id = _open_meeting_id(live_server.app)
    projector = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    screen = projector.new_page()
    errors = []
    screen.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(screen, live_server.url, "committee")
    screen.goto(f"{live_server.url}/meetings/{meeting_id}/code")
    url = _read_code(screen)
    screen.screenshot(path=str(screenshots / "meeting-code.png"))
    assert url.startswith(f"{live_server.url}/m/")

    sign_in(phone, live_server.url, "household")
    phone.goto(url)
    assert has_no_horizontal_scroll(phone)
    assert not _attended(live_server.app, "household", meeting_id)  # opening the page writes nothing
    with phone.expect_navigation():
        phone.click("#check-in-button")
    assert phone.locator("#check-in-done").is_visible()
    phone.screenshot(path=str(screenshots / "meeting-checked-in-360.png"), full_page=True)
    assert _attended(live_server.app, "household", meeting_id)
    phone.goto(url)  # scanning again adds nothing and says so
    assert phone.locator("#check-in-done").is_visible()

    # The code on screen refreshes itself: within a slot and a refresh it shows a new token.
    for _ in range(9):
        screen.wait_for_timeout(5_000)
        fresh = _read_code(screen)
        if fresh != url:
            break
    assert fresh != url and fresh.startswith(f"{live_server.url}/m/")
    assert errors == []
    projector.close()


def test_another_villages_household_gets_a_clear_message(live_server, browser, phone):
    meeting_id = _open_meeting_id(live_server.app)
    desk = browser.new_context(viewport={"width": 800, "height": 800})
    screen = desk.new_page()
    sign_in(screen, live_server.url, "committee")
    screen.goto(f"{live_server.url}/meetings/{meeting_id}/code")
    url = _read_code(screen)
    desk.close()
    sign_in(phone, live_server.url, "outsider")
    phone.goto(url)
    assert phone.locator("#check-in-error").is_visible()
    assert phone.locator("#check-in-button").count() == 0
    assert not _attended(live_server.app, "outsider", meeting_id)
