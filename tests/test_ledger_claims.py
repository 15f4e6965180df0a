"""Claims (积分申报) and objections (异议) through the ledger services."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import Conflict, DomainError, InvalidInput, NotAllowed
from app.extensions import db
from app.ledger import claims, reads, services
from app.models import Claim, Household, LedgerEntry, Objection
from tests import factories
from tests.ledger_world import make_world


@pytest.fixture
def w(app):
    return make_world()


def balance(household):
    db.session.expire_all()
    return db.session.get(Household, household.id).balance


def test_household_claims_for_itself_and_approval_awards_once(w):
    claim = claims.submit_claim(w.h1_user, w.h1.id, w.good.id, "帮邻居修屋顶", "roof.jpg")
    assert (claim.status, claim.photo, claim.submitted_by) == ("pending", "roof.jpg", w.h1_user.id)
    approved = claims.approve_claim(w.committee, claim.id)
    assert approved.status == "approved" and approved.decided_by == w.committee.id
    entry = db.session.get(LedgerEntry, approved.entry_id)
    assert (entry.kind, entry.points, entry.ref_type, entry.ref_id) == ("award", 10, "claim", claim.id)
    assert entry.idempotency_key == f"claim:{claim.id}:{w.h1.id}"
    again = claims.approve_claim(w.committee, claim.id)
    assert again.entry_id == entry.id and balance(w.h1) == 10
    with pytest.raises(Conflict):
        claims.reject_claim(w.committee, claim.id, "no")


def test_claim_scope(w):
    with pytest.raises(NotAllowed):
        claims.submit_claim(w.h1_user, w.h2.id, w.good.id, "替别人申报")
    claim = claims.submit_claim(w.leader, w.h2.id, w.good.id, "网格长代报")
    with pytest.raises(NotAllowed):
        claims.submit_claim(w.leader, w.h3.id, w.good.id, "不在网格")
    with pytest.raises(InvalidInput):
        claims.submit_claim(w.h1_user, w.h1.id, w.bad.id, "扣分不能申报")
    with pytest.raises(InvalidInput):
        claims.submit_claim(w.h1_user, w.h1.id, w.other_rule.id, "外村规则")
    with pytest.raises(InvalidInput):
        claims.submit_claim(w.h1_user, w.h1.id, w.good.id, " ")
    with pytest.raises(NotAllowed):
        claims.approve_claim(w.other_committee, claim.id)
    with pytest.raises(InvalidInput):
        claims.reject_claim(w.committee, claim.id, "")
    rejected = claims.reject_claim(w.committee, claim.id, "证据不足")
    assert (rejected.status, rejected.reason) == ("rejected", "证据不足")
    with pytest.raises(Conflict):
        claims.approve_claim(w.committee, claim.id)
    assert balance(w.h2) == 0


def test_claim_approval_respects_own_household_rule(w):
    member = factories.user("member", "committee", region_id=w.home.id, household_id=w.h1.id)
    claim = claims.submit_claim(w.h1_user, w.h1.id, w.good.id, "自己的申报")
    with pytest.raises(NotAllowed):
        claims.approve_claim(member, claim.id)
    assert db.session.get(Claim, claim.id).status == "pending"


def test_objection_upheld_keeps_entry(w):
    (entry,) = services.deduct(w.committee, [w.h1.id], w.bad.id, "乱扔垃圾")
    objection = claims.object_to(w.h1_user, entry.id, "不是我家扔的")
    with pytest.raises(Conflict):
        claims.object_to(w.h1_user, entry.id, "再说一次")
    upheld = claims.uphold_objection(w.committee, objection.id, "有照片为证")
    assert (upheld.status, upheld.answer, upheld.answered_by) == ("upheld", "有照片为证",
                                                                 w.committee.id)
    assert balance(w.h1) == -20
    with pytest.raises(Conflict):
        claims.reverse_for_objection(w.committee, objection.id, "改判")
    claims.object_to(w.h1_user, entry.id, "新的证据")  # the earlier one is closed


def test_objection_reversed_reverses_entry(w):
    (entry,) = services.deduct(w.committee, [w.h1.id], w.bad.id, "乱扔垃圾")
    objection = claims.object_to(w.h1_user, entry.id, "不是我家扔的")
    with pytest.raises(NotAllowed):
        claims.reverse_for_objection(w.other_committee, objection.id, "x")
    done = claims.reverse_for_objection(w.committee, objection.id, "核实后撤销")
    assert done.status == "reversed" and balance(w.h1) == 0
    reversal = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.reverses_id == entry.id))
    assert reversal.points == 20 and reversal.note == "核实后撤销"
    with pytest.raises(Conflict):
        claims.object_to(w.h1_user, entry.id, "again")
    assert reads.verify() == []


def test_objection_only_own_recent_awards_and_deductions(w):
    (entry,) = services.award(w.committee, [w.h2.id], w.good.id)
    with pytest.raises(NotAllowed):
        claims.object_to(w.h1_user, entry.id, "别人的")
    services.award(w.committee, [w.h1.id], w.big.id)
    redemption = services.redeem(w.committee, w.h1.id, 5)
    with pytest.raises(DomainError):
        claims.object_to(w.h1_user, redemption.id, "兑换")
    old = LedgerEntry(household_id=w.h1.id, village_id=w.home.id, points=10, kind="award",
                      rule_id=w.good.id, created_at=datetime.now(UTC) - timedelta(days=8))
    services.import_entries([{c: getattr(old, c) for c in
                              ("household_id", "village_id", "points", "kind", "rule_id",
                               "created_at")}])
    db.session.commit()
    old_id = db.session.scalar(sa.select(sa.func.max(LedgerEntry.id)))
    with pytest.raises(DomainError, match="7"):
        claims.object_to(w.h1_user, old_id, "太晚了")
    assert db.session.scalar(sa.select(sa.func.count(Objection.id))) == 0
    assert reads.verify() == []
