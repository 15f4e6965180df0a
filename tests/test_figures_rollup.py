"""The figures rollup stays equal to a recount: under racing check-ins, opens and confirmations
(separate sessions released together, on both databases), and after a rebuild."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import DomainError
from app.extensions import db
from app.figures import recount
from app.issues import services as issues
from app.meetings import services as meetings
from app.models import (Attendance, FigureCadre, FigureCadreCount, FigureMonth, FigureReach,
                        FigureReachCount, FigureRegionMonth, FigureRegionReach, User)
from tests import factories
from tests.meetings_world import make_meeting_world, open_meeting
from tests.races import race


def _user(user_id):
    return db.session.get(User, user_id)


def _rollup():
    db.session.expire_all()
    rollup = {model.__tablename__: sorted(tuple(row) for row in db.session.execute(
        sa.select(*model.__table__.c))) for model in (FigureMonth, FigureReach, FigureCadre)}
    for model in (FigureReachCount, FigureCadreCount, FigureRegionReach):  # a count back to 0: no row
        rollup[model.__tablename__] = sorted(tuple(row) for row in db.session.execute(
            sa.select(*model.__table__.c)) if row[-1])
    rollup["figure_region_months"] = sorted(tuple(row) for row in db.session.execute(
        sa.select(*FigureRegionMonth.__table__.c)) if any(row[2:]))
    return rollup


@pytest.fixture
def ids(app):
    w = make_meeting_world()
    households = [factories.household(w.home, head_name=f"户{n}") for n in range(12)]
    accounts = [factories.user(f"hh{n}", "household", household_id=h.id)
                for n, h in enumerate(households)]
    planned = [meetings.plan(w.committee, w.home.id, fmt, f"会{fmt}", datetime.now(UTC))
               for fmt in ("forum", "reception")]
    loop = []
    for n in range(3):
        issue = issues.raise_issue(w.h1_user, w.h1.id, "issue", "roads", f"问题{n}")
        issues.assign(w.committee, issue.id, None, "镇城建办", date.today() + timedelta(days=n - 1), "修")
        issues.resolve(w.committee, issue.id, "好了")
        loop.append(issue.id)
    found = {"meeting": open_meeting(w), "committee": w.committee.id, "admin": w.admin.id,
             "households": [h.id for h in households], "accounts": [u.id for u in accounts],
             "planned": [m.id for m in planned], "h1_user": w.h1_user.id, "h1": w.h1.id,
             "issues": loop}
    db.session.rollback()
    return found


def test_racing_check_ins_and_ticks_count_each_attendance_once(app, ids):
    def work(i):
        n = i % len(ids["accounts"])
        if i % 3 == 0:  # the committee ticks a household that may be scanning its code right now
            return meetings.tick(_user(ids["committee"]), ids["meeting"], [ids["households"][n]])
        return meetings.check_in(_user(ids["accounts"][n]), ids["meeting"])[1]

    race(app, work)
    present = db.session.scalar(sa.select(sa.func.count(Attendance.id))
                                .where(Attendance.meeting_id == ids["meeting"]))
    assert present == len(ids["accounts"])
    assert db.session.scalar(sa.select(sa.func.sum(FigureMonth.attendances))) == present
    assert recount.verify() == []


def test_racing_opens_closes_raises_and_confirmations_keep_the_sums(app, ids):
    def work(i):
        kind = i % 5
        try:
            if kind == 0:  # two openers per planned meeting: one wins
                return meetings.open_meeting(_user(ids["admin"]), ids["planned"][i // 5 % 2]).id
            if kind == 1:
                return meetings.close(_user(ids["committee"]), ids["meeting"])[1]
            if kind == 2:  # satisfied or not, racing on the same resolved issue
                return issues.confirm(_user(ids["h1_user"]), ids["issues"][i % 3], i % 2 == 0,
                                      "还没好").status
            if kind == 3:
                return issues.raise_issue(_user(ids["h1_user"]), ids["h1"], "suggestion", "other",
                                          f"建议{i}").id
            return meetings.check_in(_user(ids["accounts"][i % 12]), ids["meeting"])[1]
        except DomainError as error:
            return error

    race(app, work)
    assert recount.verify() == []
    months = db.session.execute(sa.select(sa.func.sum(FigureMonth.meetings_forum),
                                          sa.func.sum(FigureMonth.meetings_reception),
                                          sa.func.sum(FigureMonth.suggestions))).one()
    assert tuple(months) == (1, 1, 4)


def test_rebuild_equals_the_incremental_rollup_and_verify_finds_a_wrong_count(app, ids, runner):
    meetings.tick(_user(ids["committee"]), ids["meeting"], ids["households"][:5])
    issues.confirm(_user(ids["h1_user"]), ids["issues"][0], True)
    issues.confirm(_user(ids["h1_user"]), ids["issues"][1], False, "没修好")
    meetings.close(_user(ids["committee"]), ids["meeting"])
    incremental = _rollup()
    assert all(incremental.values())
    assert recount.verify() == []
    recount.rebuild()
    db.session.commit()
    assert _rollup() == incremental
    db.session.execute(sa.update(FigureMonth).values(resolved=FigureMonth.resolved + 1))
    db.session.execute(sa.delete(FigureReach).where(FigureReach.household_id == ids["households"][0]))
    db.session.commit()
    wrong = recount.verify()
    assert any("resolved" in line for line in wrong) and any("reached" in line for line in wrong)
    result = runner.invoke(args=["figures", "verify"])
    assert result.exit_code == 1 and "MISMATCH" in result.output
    assert runner.invoke(args=["figures", "rebuild"]).exit_code == 0
    assert _rollup() == incremental
    assert runner.invoke(args=["figures", "verify"]).exit_code == 0


def test_the_migration_backfills_what_the_services_kept(app, ids):
    from flask_migrate import downgrade, upgrade

    meetings.tick(_user(ids["committee"]), ids["meeting"], ids["households"][:4])
    meetings.open_meeting(_user(ids["admin"]), ids["planned"][0])
    issues.confirm(_user(ids["h1_user"]), ids["issues"][0], True)
    issues.confirm(_user(ids["h1_user"]), ids["issues"][2], False, "没修好")
    incremental = _rollup()
    db.session.remove()
    downgrade(revision="2d60dc68d34e")
    upgrade()
    assert _rollup() == incremental


def test_the_nightly_job_checks_the_rollup_and_says_so_in_the_audit_log(app, ids):
    from app.jobs import _JOBS, run_job
    from app.models import AuditLog

    assert run_job(_JOBS["figures-verify"])[0] == "ran"
    db.session.execute(sa.update(FigureMonth).values(issues=FigureMonth.issues + 2))
    db.session.commit()
    status, detail = run_job(_JOBS["figures-verify"], datetime.now(UTC) + timedelta(days=1))
    assert status == "failed" and "issues" in detail
    details = list(db.session.scalars(sa.select(AuditLog.detail).where(AuditLog.action == "figures.verify")
                                      .order_by(AuditLog.id)))
    assert details[0].startswith("ok") and "difference" in details[1]
