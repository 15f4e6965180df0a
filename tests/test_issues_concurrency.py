"""Contribution points exactly once: racing confirmations, a confirmation racing the silence job,
and two job runners at once; separate sessions released together."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.ledger import reads
from app.issues import jobs, services
from app.models import Issue, IssueEvent, LedgerEntry, User
from tests.meetings_world import make_meeting_world
from tests.races import race


@pytest.fixture
def ids(app):
    w = make_meeting_world()
    made = []
    for n in range(3):
        issue = services.raise_issue(w.h1_user, w.h1.id, "issue", "roads", f"问题{n}")
        services.assign(w.committee, issue.id, None, "镇城建办", date(2020, 1, 1), "整改")
        made.append(issue.id)
    services.resolve(w.committee, made[0], "已解决", now=datetime.now(UTC) - timedelta(days=30))
    found = {"h1_user": w.h1_user.id, "h1": w.h1.id, "issues": made}
    db.session.rollback()
    return found


def _entries(household_id):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.household_id == household_id, LedgerEntry.ref_type == "issue"))


def test_racing_confirmations_and_silence_job_award_once(app, ids):
    issue_id = ids["issues"][0]

    def work(i):
        if i % 2:
            return jobs.confirm_silent(datetime.now(UTC))
        return services.confirm(db.session.get(User, ids["h1_user"]), issue_id, True).status

    race(app, work)
    assert _entries(ids["h1"]) == 1
    assert db.session.get(Issue, issue_id).status == "confirmed"
    assert reads.verify() == []


def test_two_overdue_runners_flag_each_issue_once(app, ids):
    race(app, lambda i: jobs.flag_overdue(datetime.now(UTC)))
    db.session.expire_all()
    flagged = db.session.scalar(sa.select(sa.func.count(IssueEvent.id))
                                .where(IssueEvent.action == "overdue"))
    assert flagged == 2  # the two still being handled; the resolved one is not overdue
