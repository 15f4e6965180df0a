"""The System actor of app/access/: automatic work (an issue's contribution points, the jobs) acts
as the site itself, which the rules know and the audit log names, not as a made-up administrator;
and the no-self-dealing rule, decided once in app/access/ledger.py, holds for the services too."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.access import permissions
from app.access.ledger import self_dealing
from app.access.permissions import SYSTEM
from app.errors import NotAllowed
from app.extensions import db
from app.issues import services as issues
from app.jobs import registered, run_job
from app.ledger import services as ledger
from app.models import AuditLog, LedgerEntry, Shop
from tests.meetings_world import make_meeting_world


@pytest.fixture
def w(app):
    return make_meeting_world()


def test_the_system_may_award_by_rule_and_nothing_else(w):
    assert permissions.may(SYSTEM, "ledger.manage", w.h1)
    for action, target in (("village.manage", w.h1.village_id), ("ledger.spend", w.h1),
                           ("shop.checkout", db.session.scalars(sa.select(Shop)).first()),
                           ("issues.manage", None), ("accounts.create", w.h1),
                           ("backups.admin", None), ("me.household", None)):
        assert not permissions.may(SYSTEM, action, target), action
    # It opens no page: no rule that guards a page lets it in.
    assert permissions.menu_for(SYSTEM) == []


def test_an_issues_contribution_points_are_the_systems(w):
    issue = issues.raise_issue(w.h1_user, w.h1.id, "issue", "roads", "村口路灯不亮")
    issues.assign(w.committee, issue.id, w.county_official.id, "", date(2026, 3, 5), "更换灯泡")
    issues.resolve(w.county_official, issue.id, "修好了")
    issues.confirm(w.h1_user, issue.id, True)
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.ref_type == "issue",
                                                           LedgerEntry.ref_id == issue.id))
    assert entry is not None and entry.points > 0 and entry.actor_id is None


def test_a_jobs_audit_row_is_the_systems_and_the_page_says_so(w, client, auth):
    assert run_job(registered()["ledger-verify"])[0] == "ran"
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "ledger.verify"))
    assert row.actor_id is None and row.actor_name == "system"
    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login(w.admin.username)
    page = client.get("/accounts/audit").get_data(as_text=True)
    assert "系统（自动）" in page


def test_no_self_dealing_is_one_rule_for_the_rules_and_the_services(w):
    w.committee.household_id = w.h1.id
    db.session.commit()
    assert self_dealing(w.committee, w.h1, spending=False)
    assert self_dealing(w.committee, w.h1, spending=True)
    assert not self_dealing(w.committee, w.h2, spending=False)
    assert self_dealing(w.h1_user, w.h1, spending=False)  # a household never raises its own
    assert not self_dealing(w.h1_user, w.h1, spending=True)
    assert not self_dealing(SYSTEM, w.h1, spending=False)
    assert not permissions.may(w.committee, "ledger.manage", w.h1)
    with pytest.raises(NotAllowed) as refused:
        ledger.award(w.committee, [w.h1.id], w.good.id)
    assert refused.value.code == "own_household"
