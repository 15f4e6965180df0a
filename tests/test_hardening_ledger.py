"""Audit findings on the ledger: no self-dealing on any path (2), claims keep per-event limits (9),
and an idempotency key replayed with a different body is a conflict (13)."""
import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.errors import Conflict, DomainError, NotAllowed
from app.extensions import db
from app.ledger import claims, services
from app.models import Household, LedgerEntry, Role
from tests import factories
from tests.ledger_world import make_world


@pytest.fixture
def w(app):
    world = make_world()
    # A committee member who lives in household h3 of the village it runs.
    world.member = factories.user("member", "committee", region_id=world.home.id,
                                  household_id=world.h3.id)
    world.shopkeeper = factories.user("keeper", "shop", shop_id=factories.shop(world.home).id,
                                      household_id=world.h3.id)
    return world


def _state(household_id):
    db.session.expire_all()
    household = db.session.get(Household, household_id)
    entries = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))
                                .where(LedgerEntry.household_id == household_id))
    return household.balance, household.score, entries


def test_every_write_service_refuses_a_committee_member_on_its_own_household(w):
    h3_user = factories.user("h3", "household", household_id=w.h3.id)
    # The household has earned, been fined and spent, each by someone else.
    (earned,) = services.award(w.committee, [w.h3.id], w.big.id, "修桥")
    (fined,) = services.award(w.committee, [w.h3.id], w.bad.id, "乱扔垃圾")
    spent = services.redeem(w.committee, w.h3.id, 30, note="买油")
    claim = claims.submit_claim(h3_user, w.h3.id, w.good.id, "扫雪")
    objection = claims.object_to(h3_user, fined.id, "不是我家")
    before = _state(w.h3.id)
    attempts = {
        "award": lambda: services.award(w.member, [w.h3.id], w.good.id, "x"),
        "deduct": lambda: services.deduct(w.member, [w.h3.id], w.bad.id, "x"),
        "adjust": lambda: services.adjust(w.member, w.h3.id, 50, "x"),
        "redeem": lambda: services.redeem(w.member, w.h3.id, 5),
        "reverse a deduction": lambda: services.reverse(w.member, fined.id, "x"),
        "reverse an award": lambda: services.reverse(w.member, earned.id, "x"),
        "reverse own spending": lambda: services.reverse(w.member, spent.id, "退款"),
        "approve own claim": lambda: claims.approve_claim(w.member, claim.id),
        "reverse for own objection": lambda: claims.reverse_for_objection(w.member, objection.id,
                                                                          "同意"),
        "shop keeper spends own": lambda: services.redeem(w.shopkeeper, w.h3.id, 5),
        "shop keeper refunds own": lambda: services.reverse(w.shopkeeper, spent.id, "退款"),
        "household refunds itself": lambda: services.reverse(h3_user, spent.id, "退款"),
    }
    for name, attempt in attempts.items():
        with pytest.raises(NotAllowed):
            attempt()
        assert _state(w.h3.id) == before, name
    # The member still serves the other households, and another member can refund h3.
    services.award(w.member, [w.h1.id], w.good.id, "扫雪")
    services.reverse(w.member, services.redeem(w.member, w.h1.id, 5).id, "退款")
    services.reverse(w.committee, spent.id, "退款")
    assert _state(w.h3.id)[0] == before[0] + 30


def test_reversing_own_spending_through_the_page_is_refused(app, client, w):
    app.config["WTF_CSRF_ENABLED"] = False
    services.award(w.committee, [w.h3.id], w.big.id, "修桥")
    spent = services.redeem(w.committee, w.h3.id, 10)
    before = _state(w.h3.id)
    client.post("/login", data={"username": "member", "password": factories.PASSWORD})
    client.post(f"/ledger/entries/{spent.id}/reverse", data={"reason": "退给自己"})
    assert _state(w.h3.id) == before


def test_role_change_in_the_same_village_keeps_the_own_household(w):
    shop = factories.shop(w.home, name="二店")
    accounts.change_role(w.member, Role.SHOP, shop.id, actor=w.admin)
    assert w.member.household_id == w.h3.id
    services.award(w.committee, [w.h3.id], w.big.id, "修桥")
    with pytest.raises(NotAllowed):
        services.redeem(w.member, w.h3.id, 5)
    accounts.change_role(w.member, Role.COMMITTEE, w.home.id, actor=w.admin)
    assert w.member.household_id == w.h3.id
    # Moving to another village's committee drops a link that no longer means anything there.
    accounts.change_role(w.member, Role.COMMITTEE, w.other.id, actor=w.admin)
    assert w.member.household_id is None


def test_claims_keep_the_once_per_event_limit(w):
    submitted = [claims.submit_claim(w.h1_user, w.h1.id, w.daily.id, "打扫") for _ in range(2)]
    claims.approve_claim(w.committee, submitted[0].id)
    with pytest.raises(DomainError):
        claims.approve_claim(w.committee, submitted[1].id)
    # A rule limited per event cannot be claimed: a claim names no meeting or issue, so each
    # claim would count as an event of its own.
    with pytest.raises(DomainError):
        claims.submit_claim(w.h1_user, w.h1.id, w.per_event.id, "参加了夜谈会")
    assert _state(w.h1.id)[2] == 1


def test_claims_already_pending_for_a_per_event_rule_are_not_approved(w):
    from app.models import Claim

    for _ in range(3):
        db.session.add(Claim(household_id=w.h1.id, rule_id=w.per_event.id, description="夜谈会",
                             status="pending", submitted_by=w.h1_user.id))
    db.session.commit()
    for claim in db.session.scalars(sa.select(Claim)).all():
        with pytest.raises(DomainError):
            claims.approve_claim(w.committee, claim.id)
    assert _state(w.h1.id)[2] == 0


def test_same_key_with_a_different_body_is_a_conflict(w):
    (first,) = services.award(w.committee, [w.h1.id], w.good.id, "扫雪", idempotency_key="k-1")
    assert services.award(w.committee, [w.h1.id], w.good.id, "扫雪",
                          idempotency_key="k-1")[0].id == first.id
    for rule, note in ((w.big.id, "扫雪"), (w.good.id, "另一件事")):
        with pytest.raises(Conflict) as refused:
            services.award(w.committee, [w.h1.id], rule, note, idempotency_key="k-1")
        assert refused.value.code == "idempotency_key_reused"
    entry = services.adjust(w.committee, w.h2.id, 5, "补记", idempotency_key="k-2")
    assert services.adjust(w.committee, w.h2.id, 5, "补记", idempotency_key="k-2").id == entry.id
    with pytest.raises(Conflict) as refused:
        services.adjust(w.committee, w.h2.id, 50, "补记", idempotency_key="k-2")
    assert refused.value.code == "idempotency_key_reused"
    assert _state(w.h1.id)[2] == 1 and _state(w.h2.id)[2] == 1
