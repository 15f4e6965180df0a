"""The demo keeps CONTRACT.md's promises about meetings and issues."""
from datetime import UTC, datetime

import sqlalchemy as sa

from app import demo
from app.extensions import db
from app.ledger import reads
from app.models import Attendance, Issue, LedgerEntry, Meeting, Region, User


def test_demo_meetings_and_issues(app):
    demo.load()
    home = db.session.scalar(sa.select(Region).where(Region.name == "罗翠村"))
    open_now = db.session.scalars(sa.select(Meeting).where(
        Meeting.village_id == home.id, Meeting.status == "open")).all()
    assert len(open_now) == 1 and open_now[0].starts_at <= datetime.now(UTC)
    household = db.session.scalar(sa.select(User).where(User.username == "household"))
    assert not db.session.scalar(sa.select(Attendance.id).where(
        Attendance.meeting_id == open_now[0].id, Attendance.household_id == household.household_id))
    closed = db.session.scalars(sa.select(Meeting.id).where(
        Meeting.village_id == home.id, Meeting.status == "closed")).all()
    attendees = db.session.scalar(sa.select(sa.func.count(Attendance.id))
                                  .where(Attendance.meeting_id.in_(closed)))
    awarded = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.ref_type == "meeting", LedgerEntry.ref_id.in_(closed)))
    assert attendees > 100 and awarded == attendees
    # The first committee member lives in 罗翠村's first grid; its meeting points came through
    # the second member (the ledger lets no one award their own household).
    committee, second = (db.session.scalar(sa.select(User).where(User.username == name))
                         for name in ("committee", "committee2"))
    own = committee.household
    assert own.village_id == home.id and second.region_id == home.id and second.household_id is None
    assert own.grid.name == "第1网格"
    own_actors = set(db.session.scalars(sa.select(LedgerEntry.actor_id).where(
        LedgerEntry.household_id == own.id, LedgerEntry.actor_id.is_not(None))))
    assert committee.id not in own_actors and second.id in own_actors
    # Every village has meetings in all five formats.
    formats = db.session.execute(sa.select(Meeting.village_id, sa.func.count(sa.distinct(Meeting.format)))
                                 .group_by(Meeting.village_id)).all()
    assert len(formats) == 5 and all(n == 5 for _v, n in formats)
    statuses = set(db.session.scalars(sa.select(Issue.status).where(Issue.village_id == home.id)))
    assert statuses == {"registered", "handling", "resolved", "confirmed"}
    today = datetime.now(UTC).date()
    overdue = db.session.scalars(sa.select(Issue).where(
        Issue.village_id == home.id, Issue.status == "handling", Issue.deadline < today)).all()
    assert overdue and all(i.supervised for i in overdue)
    assert household.household.balance >= 200
    # The periodic jobs leave every status in place: nothing resolved waits past its days yet.
    from app.jobs import registered, run_job

    for name in ("issues-overdue", "issues-auto-confirm"):
        assert run_job(registered()[name])[1].startswith("0 "), name
    assert reads.verify() == []
