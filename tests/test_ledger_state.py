"""Stateful property test: random awards, deductions, redemptions, reversals and replays.

After every step the stored balance and score equal a simple model and the entries' sums.
"""
import itertools

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from app.errors import Conflict, DomainError, InsufficientPoints
from app.extensions import db
from app.ledger import reads, rules, services
from app.models import Household, LedgerEntry
from tests import factories

_worlds = itertools.count(1)
# No shrinking: every step hits the database, and shrinking a failure took minutes.
SETTINGS = settings(max_examples=20, stateful_step_count=25, deadline=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=list(HealthCheck))


class LedgerMachine(RuleBasedStateMachine):
    """One fresh village per example; the model is a dict of (balance, score) per household."""

    def __init__(self):
        super().__init__()
        n = self.n = next(_worlds)
        village = factories.village(f"模型村{n}")
        self.houses = [factories.household(village).id for _ in range(3)]
        self.committee = factories.user(f"c{n}", "committee", region_id=village.id)
        cat = rules.create_category(self.committee, village.id, "类")
        self.rules = {points: rules.create_rule(self.committee, village.id, cat.id, f"R{points}",
                                                   f"规则{points}", points).id
                      for points in (5, 30, -10, -40)}
        self.model = {h: [0, 0] for h in self.houses}
        self.entries = {}  # id -> (household, points, kind, reversed?)
        self.keys = {}  # key -> (frozenset of households, entry ids, points of the rule)

    def _apply(self, household, balance, score):
        self.model[household][0] += balance
        self.model[household][1] += score

    @rule(which=st.sets(st.integers(0, 2), min_size=1), points=st.sampled_from([5, 30, -10, -40]),
          key=st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"])))
    def award(self, which, points, key):
        # Keys live in one table for every example: namespace them per example's world.
        key = f"{self.n}-{key}" if key else None
        households = sorted(self.houses[i] for i in which)
        # The same key for other households or another rule is a different request: a conflict.
        if key in self.keys and self.keys[key][::2] != (frozenset(households), points):
            with pytest.raises(Conflict):
                services.award(self.committee, households, self.rules[points], "因", key)
            return
        entries = services.award(self.committee, households, self.rules[points], "因", key)
        ids = [e.id for e in entries]
        if key in self.keys:
            assert sorted(ids) == sorted(self.keys[key][1])  # a replay adds nothing
            return
        if key:
            self.keys[key] = (frozenset(households), ids, points)
        for entry in entries:
            self.entries[entry.id] = [entry.household_id, entry.points, entry.kind, False]
            self._apply(entry.household_id, entry.points, entry.points)

    @rule(i=st.integers(0, 2), cost=st.integers(1, 120))
    def redeem(self, i, cost):
        household = self.houses[i]
        if self.model[household][0] < cost:
            with pytest.raises(InsufficientPoints):
                services.redeem(self.committee, household, cost)
            return
        entry = services.redeem(self.committee, household, cost)
        self.entries[entry.id] = [household, -cost, "redemption", False]
        self._apply(household, -cost, 0)

    @rule(data=st.data())
    def reverse(self, data):
        if not self.entries:
            return
        entry_id = data.draw(st.sampled_from(sorted(self.entries)))
        household, points, kind, done = self.entries[entry_id]
        if kind == "reversal":
            with pytest.raises(DomainError):
                services.reverse(self.committee, entry_id, "撤")
            return
        if done:
            with pytest.raises(Conflict):
                services.reverse(self.committee, entry_id, "撤")
            return
        reversal = services.reverse(self.committee, entry_id, "撤")
        self.entries[entry_id][3] = True
        self.entries[reversal.id] = [household, -points, "reversal", False]
        self._apply(household, -points, -points if kind != "redemption" else 0)

    @invariant()
    def stored_equals_model_and_entries(self):
        db.session.expire_all()
        for household_id, (balance, score) in self.model.items():
            household = db.session.get(Household, household_id)
            assert (household.balance, household.score) == (balance, score)
            total = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.points), 0))
                                      .where(LedgerEntry.household_id == household_id))
            assert total == balance
        assert [h.id for h, _b, _s in reads.verify() if h.id in self.model] == []

    @invariant()
    def no_double_reversal_and_no_key_twice(self):
        twice = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.isnot(None))
                .group_by(LedgerEntry.reverses_id).having(sa.func.count() > 1).subquery()))
        assert twice == 0
        keyed = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
            LedgerEntry.household_id.in_(self.houses), LedgerEntry.idempotency_key.isnot(None)))
        assert keyed == sum(len(ids) for _h, ids, _points in self.keys.values())

    def teardown(self):
        db.session.rollback()


def test_ledger_state_machine(app):
    run_state_machine_as_test(LedgerMachine, settings=SETTINGS)
