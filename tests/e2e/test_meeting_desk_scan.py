"""Check-in at the desk for households who cannot scan the meeting's code themselves: the committee
points the shop's scanner at a household's payment code, and that household is present."""
import sqlalchemy as sa

from app.extensions import db
from app.models import Attendance, User
from tests.e2e import has_no_horizontal_scroll, sign_in
from tests.e2e.camera import camera_phone, video_of
from tests.e2e.test_meeting_check_in import _open_meeting_id
from tests.e2e.test_shop_scan import _household


def _attendance(app, username, meeting_id, forget=False):
    """(method, recorded by) of the household's attendance, or None; `forget` deletes it first."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        where = (Attendance.meeting_id == meeting_id, Attendance.household_id == user.household_id)
        if forget:
            db.session.execute(sa.delete(Attendance).where(*where))
            db.session.commit()
        found = db.session.execute(sa.select(Attendance.method, User.username)
                                   .join(User, User.id == Attendance.recorded_by).where(*where)).first()
        db.session.remove()
        return tuple(found) if found else None


def test_committee_scans_a_payment_code_at_the_desk(live_server, browser, phone, tmp_path, screenshots):
    meeting_id = _open_meeting_id(live_server.app)
    assert _attendance(live_server.app, "household2", meeting_id, forget=True) is None
    household = _household(live_server.app, "household2")

    sign_in(phone, live_server.url, "household2")
    phone.goto(f"{live_server.url}/me/pay")
    qr = phone.locator("#pay-qr")
    qr.wait_for(state="visible")
    png = tmp_path / "pay.png"
    qr.screenshot(path=str(png))
    video = tmp_path / "pay.y4m"
    video_of(png, video)

    with camera_phone(browser, video) as (page, problems):
        sign_in(page, live_server.url, "committee")
        page.goto(f"{live_server.url}/meetings/{meeting_id}")
        with page.expect_navigation():
            page.click(f"a[href='/meetings/{meeting_id}/scan-in']")
        # The camera reads the code and the form posts itself; the page comes back ready for the next.
        page.wait_for_selector(f"text={household.head_name}（{household.number}号）")
        assert page.url.endswith(f"/meetings/{meeting_id}/scan-in")
        assert has_no_horizontal_scroll(page)
        # The same phone still in front of the camera is not sent again: the scanner says so.
        page.wait_for_selector("[data-scanner-status]:has-text('刚刚已读取')")
        assert page.url.endswith(f"/meetings/{meeting_id}/scan-in")
        assert page.locator("text=此前已签到").count() == 0
        page.screenshot(path=str(screenshots / "meeting-desk-scan-360.png"), full_page=True)
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert _attendance(live_server.app, "household2", meeting_id) == ("card", "committee")
