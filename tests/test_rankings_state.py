"""Stateful property test: the rankings' summary equals a direct computation after random awards,
deductions, redemptions, reversals, back-dated imports, year-end expiries and a merge of villages.

The model is the test's own: points by (household, local month), a reversal taking its points
off the month of the entry it reverses, spending never counting. After every step the stored
rows equal the model and a recount from the ledger, on SQLite and PostgreSQL, and the village
ranking of the current month ranks as the model says.
"""
import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, invariant, precondition, rule,
                                 run_state_machine_as_test)

from app.database import transaction
from app.errors import InsufficientPoints
from app.extensions import db
from app.figures import rule_points
from app.ledger import rules, services
from app.models import Household, LedgerEntry, Region
from app.models.ranking import RankingMonth
from app.rankings import periods, reads, recount
from app.regions import manage
from tests import factories

_worlds = itertools.count(1)
_expiries = itertools.count(1)
SETTINGS = settings(max_examples=12, stateful_step_count=20, deadline=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=list(HealthCheck))
ZONE = ZoneInfo("Asia/Shanghai")


def month(moment: datetime) -> int:
    local = moment.astimezone(ZONE)
    return local.year * 100 + local.month


def competition(points: dict) -> dict:
    """Rank = 1 + the number of households with strictly more points."""
    return {h: 1 + sum(1 for other in points.values() if other > p) for h, p in points.items()}


class RankingMachine(RuleBasedStateMachine):
    """Two villages of one township, two households each; an administrator does everything."""

    def __init__(self):
        super().__init__()
        n = self.n = next(_worlds)
        self.villages = factories.region_tree(villages=(f"排名村{n}甲", f"排名村{n}乙"))[3]
        self.houses = [factories.household(v).id for v in self.villages for _ in range(2)]
        self.admin = factories.user(f"rank-admin{n}", "admin")
        self.rules = {}
        for village in self.villages:
            cat = rules.create_category(self.admin, village.id, "类")
            self.rules[village.id] = {p: rules.create_rule(self.admin, village.id, cat.id, f"R{p}",
                                                              f"规则{p}", p).id for p in (5, 30, -10)}
        self.model = Counter()  # (household, month) -> points gained
        self.balance = dict.fromkeys(self.houses, 0)
        self.entries = {}  # id -> (household, points, month or None for spending, reversed?)
        self.merged = False

    def _village_of(self, household_id):
        return db.session.get(Household, household_id).village_id

    @rule(i=st.integers(0, 3), points=st.sampled_from([5, 30, -10]))
    def award_or_deduct(self, i, points):
        household = self.houses[i]
        rule_id = self.rules[self._village_of(household)][points]
        (entry,) = services.award(self.admin, [household], rule_id, "因")
        self._record(entry.id, household, points, month(entry.created_at))

    @rule(i=st.integers(0, 3), points=st.sampled_from([5, 30, -10]), days=st.integers(1, 400))
    def import_earlier(self, i, points, days):
        household = self.houses[i]
        at = datetime.now(UTC) - timedelta(days=days, minutes=days % 7 * 97)
        services.import_entries([dict(household_id=household, village_id=self._village_of(household),
                                      points=points, kind="award" if points > 0 else "deduction",
                                      rule_id=self.rules[self._village_of(household)][points],
                                      note="补录", created_at=at)])
        db.session.commit()
        entry_id = db.session.scalar(sa.select(sa.func.max(LedgerEntry.id))
                                     .where(LedgerEntry.household_id == household))
        self._record(entry_id, household, points, month(at))

    @rule(i=st.integers(0, 3), cost=st.integers(1, 60))
    def redeem(self, i, cost):
        household = self.houses[i]
        if self.balance[household] < cost:
            with pytest.raises(InsufficientPoints):
                services.redeem(self.admin, household, cost)
            return
        entry = services.redeem(self.admin, household, cost)
        self.entries[entry.id] = [household, -cost, None, False]
        self.balance[household] -= cost

    @rule(i=st.integers(0, 3))
    def expire(self, i):
        """The year-end lapse (年度清零): a positive balance goes to zero, nothing is gained or lost
        in the rankings; a zero or negative balance is left alone."""
        household = self.houses[i]
        with transaction():
            entries = services.expire_balance([household], None, "年度清零",
                                              f"test-expiry:{self.n}:{next(_expiries)}")
        expected = self.balance[household]
        assert [e.points for e in entries] == ([-expected] if expected > 0 else [])
        for entry in entries:
            self.entries[entry.id] = [household, entry.points, None, False]
            self.balance[household] += entry.points

    @rule(data=st.data())
    def reverse(self, data):
        open_ = sorted(k for k, v in self.entries.items() if not v[3])
        if not open_:
            return
        entry_id = data.draw(st.sampled_from(open_))
        household, points, counted_in, _done = self.entries[entry_id]
        services.reverse(self.admin, entry_id, "撤")
        self.entries[entry_id][3] = True
        self.balance[household] -= points
        if counted_in is not None:
            self.model[household, counted_in] -= points

    @precondition(lambda self: not self.merged)
    @rule()
    def merge(self):
        merged, survivor = (db.session.get(Region, v.id) for v in self.villages)
        manage.merge_villages(self.admin, merged, survivor)
        self.merged = True

    def _record(self, entry_id, household, points, counted_in):
        self.entries[entry_id] = [household, points, counted_in, False]
        self.model[household, counted_in] += points
        self.balance[household] += points

    @invariant()
    def summary_equals_model_and_ledger(self):
        db.session.expire_all()
        stored = {(h, m): g for h, m, g in db.session.execute(
            sa.select(RankingMonth.household_id, RankingMonth.month, RankingMonth.gained)
            .where(RankingMonth.household_id.in_(self.houses))) if g}
        assert stored == {k: v for k, v in self.model.items() if v}
        assert recount.verify() == []
        # the charts' points by rule, kept by the same writes, equal a recount of the ledger too
        assert rule_points.verify() == []

    @invariant()
    def ranking_follows_the_model(self):
        now = datetime.now(UTC)
        period = periods.current("month", now.astimezone(ZONE))
        for village in self.villages:
            village_id = village.id
            members = [h for h in self.houses if self._village_of(h) == village_id]
            want = competition({h: self.model[h, month(now)] for h in members})
            got = {r.household_id: r.rank for r in reads.ranking(village_id, period)}
            assert got == want


def test_summary_matches_a_direct_computation(app):
    run_state_machine_as_test(RankingMachine, settings=SETTINGS)
