"""The issue closed loop with a frozen clock: assign, handle, supervise when late, resolve,
reopen, confirm, contribution points once; the jobs; who may do what."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.errors import Conflict, DomainError, NotAllowed, NotFound
from app.extensions import db
from app.ledger import reads
from app.issues import services
from app.jobs import registered, run_job
from app.models import Issue, IssueEvent, IssueSettings, LedgerEntry, Notification
from tests.meetings_world import make_meeting_world

T0 = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # noon in Sanming


@pytest.fixture
def w(app):
    return make_meeting_world()


def _points(household_id, ref_id):
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.points), 0)).where(
        LedgerEntry.household_id == household_id, LedgerEntry.ref_type == "issue",
        LedgerEntry.ref_id == ref_id))


def _actions(issue_id):
    return list(db.session.scalars(sa.select(IssueEvent.action).where(IssueEvent.issue_id == issue_id)
                                   .order_by(IssueEvent.id)))


def _kinds(user_id):
    return [n.kind for n in db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user_id).order_by(Notification.id))]


def test_the_whole_loop_with_a_frozen_clock(w):
    issue = services.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "村口路灯不亮")
    services.assign(w.committee, issue.id, w.county_official.id, "", date(2026, 3, 5), "更换灯泡")
    assert issue.status == "handling" and issue.responsible_unit == "county"
    # Before the deadline the job flags nothing; after it, once.
    job = registered()["issues-overdue"]
    assert run_job(job, T0 + timedelta(days=2))[1] == "0 issue(s) newly overdue"
    assert run_job(job, T0 + timedelta(days=4))[1] == "1 issue(s) newly overdue"
    assert run_job(job, T0 + timedelta(days=4, hours=1))[1] == "0 issue(s) newly overdue"
    db.session.refresh(issue)
    assert issue.supervised and issue.overdue_days(date(2026, 3, 8)) == 3
    services.supervise(w.city_official, issue.id, "请三日内办结")
    services.progress(w.county_official, issue.id, "已采购灯泡")
    services.resolve(w.county_official, issue.id, "路灯已修好", now=T0 + timedelta(days=6))
    services.confirm(w.h1_user, issue.id, False, "只修好了一盏")
    assert issue.status == "handling" and _points(w.h1.id, issue.id) == 0
    services.resolve(w.county_official, issue.id, "两盏都修好了", now=T0 + timedelta(days=7))
    services.confirm(w.h1_user, issue.id, True, now=T0 + timedelta(days=7))
    assert issue.status == "confirmed" and issue.satisfied
    assert _points(w.h1.id, issue.id) == 10
    with pytest.raises(Conflict):
        services.confirm(w.h1_user, issue.id, True)
    assert _points(w.h1.id, issue.id) == 10
    assert _actions(issue.id) == ["registered", "assigned", "overdue", "supervision", "progress",
                                  "resolved", "reopened", "resolved", "confirmed"]
    events.deliver_pending()
    assert "issue.assigned" in _kinds(w.county_official.id)
    assert "issue.overdue" in _kinds(w.county_official.id) and "issue.overdue" in _kinds(w.committee.id)
    # Every change but the raising and the raiser's own two answers.
    assert _kinds(w.h1_user.id).count("issue.changed") == 6
    assert reads.verify() == []


def test_silence_confirms_after_the_villages_days(w):
    db.session.add(IssueSettings(village_id=w.home.id, confirm_days=3))
    db.session.commit()
    issue = services.raise_issue(w.committee, w.h2.id, "issue", "water", "水渠堵塞")
    services.assign(w.committee, issue.id, None, "县水利局", date(2026, 3, 10), "清淤")
    services.resolve(w.committee, issue.id, "已清淤", now=T0)
    job = registered()["issues-auto-confirm"]
    assert run_job(job, T0 + timedelta(days=2))[1] == "0 issue(s) confirmed after silence"
    assert run_job(job, T0 + timedelta(days=3, hours=1))[1] == "1 issue(s) confirmed after silence"
    db.session.refresh(issue)
    assert issue.status == "confirmed" and issue.satisfied is None
    assert _points(w.h2.id, issue.id) == 10 and reads.verify() == []


def test_adopted_suggestion_earns_once(w):
    issue = services.raise_issue(w.h1_user, w.h1.id, "suggestion", "environment", "建议设垃圾分类点")
    services.adopt(w.committee, issue.id)
    with pytest.raises(Conflict):
        services.adopt(w.committee, issue.id)
    assert _points(w.h1.id, issue.id) == 8
    plain = services.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "路面坑洼")
    with pytest.raises(DomainError):
        services.adopt(w.committee, plain.id)


def test_who_may_do_what(w):
    issue = services.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "桥栏杆松动")
    with pytest.raises(NotFound):
        services.raise_issue(w.h1_user, w.h2.id, "issue", "roads", "替别人提")
    with pytest.raises(NotAllowed):
        services.assign(w.other_committee, issue.id, None, "某单位", date(2026, 4, 1), "修")
    with pytest.raises(DomainError):
        services.assign(w.committee, issue.id, w.other_committee.id, "", date(2026, 4, 1), "修")
    services.assign(w.committee, issue.id, None, "镇城建办", date(2026, 4, 1), "加固栏杆")
    with pytest.raises(NotAllowed):
        services.supervise(w.committee, issue.id, "委员会不能督办")
    with pytest.raises(NotAllowed):
        services.resolve(w.h1_user, issue.id, "自己说修好了")
    services.resolve(w.committee, issue.id, "已加固")
    with pytest.raises(NotAllowed):
        services.confirm(w.h2_user, issue.id, True)
    services.publish(w.committee, issue.id, True)
    assert db.session.get(Issue, issue.id).public
