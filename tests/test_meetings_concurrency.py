"""Races on meetings: concurrent closes award once; check-ins racing a close are never pointless."""
import pytest
import sqlalchemy as sa

from app.errors import Conflict
from app.extensions import db
from app.ledger import reads
from app.meetings import services
from app.models import Attendance, LedgerEntry, User
from tests.meetings_world import make_meeting_world, open_meeting
from tests.races import race


@pytest.fixture
def ids(app):
    w = make_meeting_world()
    meeting_id = open_meeting(w)
    services.tick(w.committee, meeting_id, [w.h1.id, w.h2.id])
    found = {"committee": w.committee.id, "admin": w.admin.id, "meeting": meeting_id,
             "h3_user": w.h3_user.id, "h3": w.h3.id}
    db.session.rollback()
    return found


def _user(user_id):
    return db.session.get(User, user_id)


def test_concurrent_closes_award_once(app, ids):
    actors = [ids["committee"], ids["admin"]]
    results = race(app, lambda i: services.close(_user(actors[i % 2]), ids["meeting"])[1])
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert won == [2] and len(lost) == len(results) - 1, results
    db.session.expire_all()
    count = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))
                              .where(LedgerEntry.ref_type == "meeting"))
    assert count == 2
    assert reads.verify() == []


def test_check_in_racing_close_is_either_awarded_or_refused(app, ids):
    def work(i):
        if i == 0:
            return services.close(_user(ids["committee"]), ids["meeting"])[1]
        return services.check_in(_user(ids["h3_user"]), ids["meeting"])[1]

    results = race(app, work)
    db.session.expire_all()
    present = db.session.scalar(sa.select(Attendance.id).where(Attendance.household_id == ids["h3"]))
    awarded = db.session.scalar(sa.select(LedgerEntry.id).where(
        LedgerEntry.household_id == ids["h3"], LedgerEntry.ref_type == "meeting"))
    # Whoever won, a recorded attendance has its points and a refused one has neither.
    assert (present is None) == (awarded is None), results
    assert reads.verify() == []


def test_concurrent_award_remaining_awards_once(app, ids):
    committee = _user(ids["committee"])
    committee.household_id = ids["h3"]  # the member's own household attended too
    db.session.commit()
    services.tick(committee, ids["meeting"], [ids["h3"]])
    assert services.close(committee, ids["meeting"])[1:] == (2, 1)
    db.session.rollback()
    results = race(app, lambda i: services.award_remaining(_user(ids["admin"]), ids["meeting"]))
    assert sorted(results) == [0] * (len(results) - 1) + [1], results
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.household_id == ids["h3"], LedgerEntry.ref_type == "meeting")) == 1
    assert reads.verify() == []
