"""Service tests of the ledger: awards, deductions, redemptions, reversals, limits, scope, rulebook."""
import pytest
import sqlalchemy as sa

from app.errors import Conflict, DomainError, InsufficientPoints, InvalidInput, NotAllowed
from app.extensions import db
from app.ledger import reads, rules, services
from app.models import Household, LedgerEntry, VillageSettings
from tests import factories
from tests.ledger_world import make_world


@pytest.fixture
def w(app):
    return make_world()


def refreshed(household):
    db.session.expire_all()
    return db.session.get(Household, household.id)


def entry_count():
    return db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))


def test_award_many_households_moves_balance_and_score(w):
    entries = services.award(w.committee, [w.h1.id, w.h2.id], w.good.id, "扫雪")
    assert [e.household_id for e in entries] == [w.h1.id, w.h2.id]
    assert {e.kind for e in entries} == {"award"} and {e.points for e in entries} == {10}
    assert entries[0].rule_id == w.good.id and entries[0].actor_id == w.committee.id
    for h in (w.h1, w.h2):
        assert (refreshed(h).balance, refreshed(h).score) == (10, 10)
    assert reads.verify() == []


def test_award_is_all_or_nothing(w):
    w.h2.active = False
    db.session.commit()
    with pytest.raises(DomainError):
        services.award(w.committee, [w.h1.id, w.h2.id], w.good.id, "")
    assert entry_count() == 0 and refreshed(w.h1).balance == 0


def test_idempotency_key_returns_first_entries(w):
    first = services.award(w.committee, [w.h1.id, w.h2.id], w.good.id, "", idempotency_key="k1")
    again = services.award(w.committee, [w.h1.id, w.h2.id], w.good.id, "", idempotency_key="k1")
    assert [e.id for e in again] == [e.id for e in first]
    assert first[0].idempotency_key == f"k1:{w.h1.id}"
    assert entry_count() == 2 and refreshed(w.h1).balance == 10
    with pytest.raises(Conflict):
        services.award(w.committee, [w.h1.id, w.h3.id], w.good.id, "", idempotency_key="k1")


def test_deduction_needs_reason_and_may_go_negative(w):
    with pytest.raises(InvalidInput):
        services.award(w.committee, [w.h1.id], w.bad.id, "  ")
    with pytest.raises(InvalidInput):
        services.deduct(w.committee, [w.h1.id], w.good.id, "reason")
    (entry,) = services.deduct(w.committee, [w.h1.id], w.bad.id, "乱扔垃圾")
    assert (entry.kind, entry.points) == ("deduction", -20)
    h = refreshed(w.h1)
    assert (h.balance, h.score) == (-20, -20)
    with pytest.raises(InsufficientPoints):
        services.redeem(w.committee, w.h1.id, 1)
    services.award(w.committee, [w.h1.id], w.big.id)
    services.redeem(w.committee, w.h1.id, 80)
    assert refreshed(w.h1).balance == 0


def test_redeem_lowers_balance_not_score_and_refuses_overdraw(w):
    services.award(w.committee, [w.h1.id], w.big.id)
    entry = services.redeem(w.committee, w.h1.id, 30, ref=("order", 7), note="油")
    assert (entry.kind, entry.points, entry.ref_type, entry.ref_id) == ("redemption", -30, "order", 7)
    with pytest.raises(InsufficientPoints):
        services.redeem(w.committee, w.h1.id, 71)
    h = refreshed(w.h1)
    assert (h.balance, h.score) == (70, 100)
    with pytest.raises(InvalidInput):
        services.redeem(w.committee, w.h1.id, 0)
    assert entry_count() == 2


def test_redeem_idempotency_key(w):
    services.award(w.committee, [w.h1.id], w.big.id)
    first = services.redeem(w.committee, w.h1.id, 60, idempotency_key="pay-1")
    again = services.redeem(w.committee, w.h1.id, 60, idempotency_key="pay-1")
    assert again.id == first.id and refreshed(w.h1).balance == 40


def test_shop_keeper_redeems_only_in_own_village(w):
    shop = factories.shop(w.home)
    keeper = factories.user("keeper", "shop", shop_id=shop.id)
    services.award(w.committee, [w.h1.id], w.big.id)
    services.redeem(keeper, w.h1.id, 10)
    with pytest.raises(NotAllowed):
        services.redeem(keeper, w.far.id, 1)
    with pytest.raises(NotAllowed):
        services.award(keeper, [w.h1.id], w.good.id)


def test_reverse_award_redemption_and_deduction(w):
    (award,) = services.award(w.committee, [w.h1.id], w.big.id)
    redemption = services.redeem(w.committee, w.h1.id, 40)
    (deduction,) = services.deduct(w.committee, [w.h1.id], w.bad.id, "x")
    assert (refreshed(w.h1).balance, refreshed(w.h1).score) == (40, 80)
    services.reverse(w.committee, redemption.id, "退货")
    assert (refreshed(w.h1).balance, refreshed(w.h1).score) == (80, 80)
    services.reverse(w.committee, deduction.id, "误扣")
    assert (refreshed(w.h1).balance, refreshed(w.h1).score) == (100, 100)
    reversal = services.reverse(w.committee, award.id, "登记错误")
    assert (reversal.kind, reversal.points, reversal.reverses_id) == ("reversal", -100, award.id)
    assert (refreshed(w.h1).balance, refreshed(w.h1).score) == (0, 0)
    assert reads.verify() == []


def test_reversal_at_most_once_and_never_of_a_reversal(w):
    (award,) = services.award(w.committee, [w.h1.id], w.good.id)
    services.redeem(w.committee, w.h1.id, 10)
    reversal = services.reverse(w.committee, award.id, "错")
    assert refreshed(w.h1).balance == -10  # a reversal may go below zero
    with pytest.raises(Conflict):
        services.reverse(w.committee, award.id, "again")
    with pytest.raises(DomainError):
        services.reverse(w.committee, reversal.id, "undo")
    with pytest.raises(InvalidInput):
        services.reverse(w.committee, award.id, "")
    assert entry_count() == 3


def test_unique_reverses_id_is_the_last_line(w):
    (award,) = services.award(w.committee, [w.h1.id], w.good.id)
    db.session.add(LedgerEntry(household_id=w.h1.id, village_id=w.home.id, points=-10,
                               kind="reversal", reverses_id=award.id))
    db.session.commit()
    with pytest.raises(Conflict):
        services.reverse(w.committee, award.id, "again")


def test_committee_cannot_award_own_household(w):
    member = factories.user("member", "committee", region_id=w.home.id, household_id=w.h3.id)
    with pytest.raises(NotAllowed):
        services.award(member, [w.h1.id, w.h3.id], w.good.id)
    services.award(member, [w.h1.id], w.good.id)
    (own,) = services.award(w.committee, [w.h3.id], w.bad.id, "占道")
    with pytest.raises(NotAllowed):
        services.reverse(member, own.id, "我家的")
    with pytest.raises(NotAllowed):
        services.adjust(member, w.h3.id, 5, "x")
    assert entry_count() == 2


def test_out_of_scope_village_and_foreign_rule(w):
    with pytest.raises(NotAllowed):
        services.award(w.committee, [w.far.id], w.good.id)
    with pytest.raises(NotAllowed):
        services.award(w.committee, [w.far.id], w.other_rule.id)
    with pytest.raises(NotAllowed):
        services.award(w.h1_user, [w.h2.id], w.good.id)
    with pytest.raises(InvalidInput):
        services.award(w.other_committee, [w.far.id], w.good.id)
    with pytest.raises(NotAllowed):
        services.award(w.committee, [999999], w.good.id)
    (entry,) = services.award(w.committee, [w.h1.id], w.good.id)
    with pytest.raises(NotAllowed):
        services.reverse(w.other_committee, entry.id, "x")
    services.award(w.admin, [w.far.id], w.other_rule.id)
    assert entry_count() == 2


def test_daily_limit_counts_non_reversed_entries(w):
    (first,) = services.award(w.committee, [w.h1.id], w.daily.id)
    with pytest.raises(DomainError, match="打扫卫生"):
        services.award(w.committee, [w.h1.id, w.h2.id], w.daily.id)
    assert refreshed(w.h2).balance == 0
    services.award(w.committee, [w.h2.id], w.daily.id)
    services.reverse(w.committee, first.id, "重复")
    services.award(w.committee, [w.h1.id], w.daily.id)
    assert refreshed(w.h1).balance == 2


def test_event_limit_is_per_ref(w):
    services.award(w.committee, [w.h1.id], w.per_event.id, ref=("meeting", 1))
    with pytest.raises(DomainError):
        services.award(w.committee, [w.h1.id], w.per_event.id, ref=("meeting", 1))
    services.award(w.committee, [w.h1.id], w.per_event.id, ref=("meeting", 2))
    with pytest.raises(DomainError):
        services.award(w.committee, [w.h1.id], w.per_event.id)
    assert refreshed(w.h1).balance == 10


def test_period_start_is_shanghai_midnight(app):
    from datetime import UTC, datetime

    from app.dates import period_start

    now = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 01:30 on 2 March in Shanghai
    assert period_start("day", now) == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert period_start("month", now) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert period_start("year", now) == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)


def test_update_rule_changes_future_entries_only(w):
    (old,) = services.award(w.committee, [w.h1.id], w.good.id)
    rules.update_rule(w.committee, w.good.id, points=15, name="好人好事(新)")
    (new,) = services.award(w.committee, [w.h1.id], w.good.id)
    db.session.expire_all()
    assert db.session.get(LedgerEntry, old.id).points == 10 and new.points == 15
    assert refreshed(w.h1).balance == 25
    with pytest.raises(InvalidInput):
        rules.update_rule(w.committee, w.good.id, points=0)
    with pytest.raises(InvalidInput):
        rules.update_rule(w.committee, w.good.id, limit_period="week", limit_count=1)
    with pytest.raises(NotAllowed):
        rules.update_rule(w.other_committee, w.good.id, points=1)
    rules.retire_rule(w.committee, w.good.id)
    with pytest.raises(InvalidInput):
        services.award(w.committee, [w.h1.id], w.good.id)
    assert db.session.get(LedgerEntry, old.id).rule_id == w.good.id


def test_rule_codes_are_unique_per_village(w):
    with pytest.raises(Conflict):
        rules.create_rule(w.committee, w.home.id, w.cat.id, "A01", "重复", 1)
    with pytest.raises(InvalidInput):
        rules.create_rule(w.committee, w.home.id, w.cat.id, "Z9", "零", 0)
    with pytest.raises(InvalidInput):
        rules.create_rule(w.committee, w.home.id, w.other_cat.id, "Z9", "外村类", 1)


def test_history_is_keyset_paged_newest_first(w):
    for _ in range(5):
        services.award(w.committee, [w.h1.id, w.h2.id], w.good.id)
    page, cursor = reads.history(w.h1.id, limit=2)
    assert [e.household_id for e in page] == [w.h1.id] * 2 and page[0].id > page[1].id
    seen = [e.id for e in page]
    while cursor is not None:
        page, cursor = reads.history(w.h1.id, before=cursor, limit=2)
        seen += [e.id for e in page]
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)


def test_star_rating_uses_village_settings(w):
    assert reads.star_rating(refreshed(w.h1)) == 0
    services.award(w.committee, [w.h1.id], w.good.id)
    assert reads.star_rating(refreshed(w.h1)) == 1
    services.award(w.committee, [w.h1.id], w.big.id)
    assert reads.star_rating(refreshed(w.h1)) == 2  # 110 >= 100
    db.session.add(VillageSettings(village_id=w.home.id, star2=20, star3=50, star4=100, star5=110,
                                   objection_days=7))
    db.session.commit()
    assert reads.star_rating(refreshed(w.h1)) == 5


def test_adjustment_counts_in_score(w):
    services.adjust(w.committee, w.h1.id, 7, "补录")
    with pytest.raises(InvalidInput):
        services.adjust(w.committee, w.h1.id, 7, "")
    assert (refreshed(w.h1).balance, refreshed(w.h1).score) == (7, 7)
    assert reads.verify() == []
