"""Meeting and issue pages load on a phone with no script error, no CSP violation, no sideways scroll."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Issue, Meeting, User
from tests.e2e import assert_pages_clean


def _ids(app, username):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        meeting, meeting_village = db.session.execute(
            sa.select(Meeting.id, Meeting.village_id).where(Meeting.status == "open")).one()
        mine = Issue.household_id == user.household_id if user.role == "household" else \
            sa.and_(Issue.village_id == meeting_village, Issue.supervised.is_(True))
        issue = db.session.scalar(sa.select(Issue.id).where(mine).limit(1))
        return meeting, issue


PAGES = {
    "household": ["/meetings", "/meetings/{m}", "/issues", "/issues/mine", "/issues/new", "/issues/{i}"],
    "committee": ["/meetings", "/meetings/new", "/meetings/{m}", "/meetings/{m}/code",
                  "/meetings/{m}/register", "/issues", "/issues?status=overdue", "/issues/new",
                  "/issues/{i}", "/issues/assigned"],
    "city": ["/meetings", "/meetings/{m}", "/issues", "/issues/{i}", "/issues/assigned", "/figures",
             "/figures?sort=reached&desc=1&start=2020-01"],
}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_meeting_and_issue_pages_are_clean(live_server, phone, username):
    meeting, issue = _ids(live_server.app, username)
    paths = [path.format(m=meeting, i=issue) for path in PAGES[username]]
    assert_pages_clean(phone, live_server.url, username, paths)
