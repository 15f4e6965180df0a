"""The seams every feature builds on: permissions decided once, transaction(), redeem_entry,
the outbox delivered exactly once, periodic jobs claimed once, errors that speak JSON."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.access import permissions
from app.database import transaction
from app.errors import Conflict, DomainError, NotAllowed
from app.extensions import db
from app.jobs import Job, period_of, registered, run_job
from app.ledger import claims, rules, services
from app.models import Household, JobRun, LedgerEntry, Notification, OutboxEvent
from tests import factories
from tests.ledger_world import make_world
from tests.races import race

THREADS = 8


def _race(app, work):
    return race(app, work, THREADS)


# --- the permission matrix, through the services -------------------------------------------------

@pytest.fixture
def world(app):
    w = make_world()
    services.award(w.committee, [w.h1.id, w.h2.id], w.big.id)
    w.city_user = factories.user("city", "official", region_id=w._city.id)
    w.township_user = factories.user("town", "official", region_id=w._township.id)
    w.shop_user = factories.user("shop", "shop", shop_id=factories.shop(w.home).id)
    w.far_user = factories.user("outsider", "household", household_id=w.far.id)
    w.other_shop = factories.user("shop2", "shop", shop_id=factories.shop(w.other).id)
    w.unit_user = factories.user("unit", "unit", region_id=w._county.id, display_name="县水利局")
    return w


ROLES = ["admin", "city_user", "township_user", "committee", "other_committee", "leader",
         "shop_user", "other_shop", "h1_user", "far_user", "unit_user"]

# For each action (done to household h1 of 甲村), the roles that may do it.
EXPECTED = {
    "award": {"admin", "committee"},
    "redeem": {"admin", "committee", "shop_user", "h1_user"},
    "claim": {"leader", "h1_user"},
    "create_rule": {"admin", "committee"},
}


def _attempt(w, action, actor):
    if action == "award":
        return services.award(actor, [w.h1.id], w.good.id)
    if action == "redeem":
        return services.redeem(actor, w.h1.id, 1)
    if action == "claim":
        return claims.submit_claim(actor, w.h1.id, w.good.id, "扫了村道")
    if action == "create_rule":
        return rules.create_rule(actor, w.home.id, w.cat.id, f"Z{actor.id}", "新规则", 3)
    raise AssertionError(action)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_permission_matrix_through_the_services(world, action):
    for role in ROLES:
        actor = getattr(world, role)
        before = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))
        try:
            _attempt(world, action, actor)
            allowed = True
        except DomainError as error:
            allowed = False
            assert isinstance(error, NotAllowed) or error.status in (403, 404), (role, error)
            assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == before
        assert allowed == (role in EXPECTED[action]), f"{action} by {role}"


def test_a_committee_member_cannot_award_its_own_household(world):
    world.committee.household_id = world.h1.id
    db.session.commit()
    assert not permissions.may(world.committee, "ledger.manage", world.h1)
    with pytest.raises(NotAllowed):
        services.award(world.committee, [world.h1.id], world.good.id)


def test_the_menu_follows_the_same_rules(world):
    endpoints = lambda user: [item.endpoint for item in permissions.menu_for(user)]  # noqa: E731
    assert "points.award" in endpoints(world.committee)
    assert "points.award" not in endpoints(world.h1_user)
    assert "main.me" in endpoints(world.h1_user)
    assert "accounts.index" in endpoints(world.admin) and "accounts.index" not in endpoints(world.city_user)
    assert endpoints(None) == []
    # A responsible unit's menu: the issues assigned to it (and its API tokens), nothing else.
    assert endpoints(world.unit_user) == ["issues.assigned", "api_pages.token_list"]
    assert "accounts.units_index" in endpoints(world.city_user)
    assert "accounts.units_index" not in endpoints(world.committee)


def test_an_action_is_registered_once(app):
    with pytest.raises(RuntimeError):
        permissions.rule("ledger.manage")(lambda user, target: True)


# --- transaction() and redeem_entry --------------------------------------------------------------

def test_redeem_entry_in_a_failing_transaction_leaves_nothing(world):
    balance = world.h1.balance
    entries = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))
    with pytest.raises(RuntimeError):
        with transaction():
            services.redeem_entry(world.shop_user, world.h1.id, 30, idempotency_key="basket-1")
            raise RuntimeError("the checkout failed after the debit")
    db.session.expire_all()
    assert db.session.get(Household, world.h1.id).balance == balance
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == entries


def test_nested_transactions_commit_once_at_the_outermost(world):
    with transaction():
        services.redeem(world.shop_user, world.h1.id, 10)  # a decorated service joins, no commit
        services.redeem(world.shop_user, world.h1.id, 10)
        assert transaction.active()
    assert not transaction.active()
    db.session.expire_all()
    assert db.session.get(Household, world.h1.id).balance == 80


def test_redemption_replay_must_match_the_cost(world):
    first = services.redeem(world.shop_user, world.h1.id, 10, idempotency_key="k1")
    assert services.redeem(world.shop_user, world.h1.id, 10, idempotency_key="k1").id == first.id
    with pytest.raises(Conflict) as error:
        services.redeem(world.shop_user, world.h1.id, 20, idempotency_key="k1")
    assert error.value.code == "idempotency_key_reused"


def test_an_inactive_household_cannot_spend(world):
    world.h1.active = False
    db.session.commit()
    with pytest.raises(DomainError) as error:
        services.redeem(world.shop_user, world.h1.id, 10)
    assert error.value.code == "household_inactive"


# --- the outbox -----------------------------------------------------------------------------------

def _approved_claim(w):
    claim = claims.submit_claim(w.h1_user, w.h1.id, w.good.id, "扫了村道")
    return claims.approve_claim(w.committee, claim.id)


def test_an_event_of_a_rolled_back_transaction_is_never_delivered(world):
    with pytest.raises(RuntimeError):
        with transaction():
            events.emit("claim.decided", {"claim_id": 1})
            raise RuntimeError("changed my mind")
    assert db.session.scalar(sa.select(sa.func.count(OutboxEvent.id))) == 0
    assert events.deliver_pending() == 0


def test_a_decided_claim_notifies_the_household_once(world, client, auth):
    _approved_claim(world)
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0  # not before the job
    assert run_job(registered()["notifications"])[0] == "ran"
    assert run_job(registered()["notifications"])[0] == "ran"  # nothing left: no second copy
    notes = list(db.session.scalars(sa.select(Notification)))
    assert [n.user_id for n in notes] == [world.h1_user.id]
    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login("h1")
    page = client.get("/notifications").get_data(as_text=True)
    assert "好人好事" in page and "+10" in page
    assert 'badge text-bg-danger">1<' in client.get("/me").get_data(as_text=True)
    client.post("/notifications/read", data={})
    db.session.expire_all()
    assert db.session.scalar(sa.select(Notification.read_at)) is not None


def test_two_job_runners_deliver_each_event_exactly_once(app, world):
    for _ in range(5):
        _approved_claim(world)
    db.session.rollback()
    results = _race(app, lambda i: events.deliver_pending())
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 5
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 5
    assert db.session.scalar(sa.select(sa.func.count(OutboxEvent.id))
                             .where(OutboxEvent.delivered_at.is_(None))) == 0


def test_a_failing_handler_is_retried_later_and_does_not_block_others(world, monkeypatch):
    _approved_claim(world)
    events.emit("test.broken", {})
    db.session.commit()

    @events.handler("test.broken")
    def broken(payload, event):
        raise ValueError("boom")

    try:
        assert events.deliver_pending() == 1
        waiting = db.session.scalar(sa.select(OutboxEvent).where(OutboxEvent.kind == "test.broken"))
        assert waiting.delivered_at is None and waiting.attempts == 1 and "boom" in waiting.last_error
    finally:
        events._HANDLERS.pop("test.broken")


# --- periodic jobs --------------------------------------------------------------------------------

def test_periods_are_days_or_slots():
    now = datetime(2026, 11, 28, 13, 47, tzinfo=UTC)
    assert period_of(timedelta(days=1), now) == "2026-11-28"
    assert period_of(timedelta(minutes=15), now) == "2026-11-28T13:45"


def test_a_job_runs_once_per_period_even_from_many_machines(app):
    calls = []
    job = Job("test-once", timedelta(days=1), lambda now: calls.append(now) or "done")
    db.session.rollback()
    results = _race(app, lambda i: run_job(job)[0])
    assert sorted(results) == ["ran"] + ["skipped"] * (THREADS - 1), results
    assert len(calls) == 1
    run = db.session.scalar(sa.select(JobRun).where(JobRun.name == "test-once"))
    assert run.status == "done" and run.finished_at is not None
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert run_job(job, tomorrow)[0] == "ran"


def test_nightly_verify_is_recorded_in_the_audit_log(runner, world):
    result = runner.invoke(args=["jobs", "run", "ledger-verify"])
    assert result.exit_code == 0, result.output
    assert "ledger-verify: ran" in result.output
    again = runner.invoke(args=["jobs", "run", "ledger-verify"])
    assert "ledger-verify: skipped" in again.output
    from app.models import AuditLog
    assert db.session.scalar(sa.select(AuditLog.detail).where(AuditLog.action == "ledger.verify")) \
        .startswith("ok")


def test_jobs_run_names_unknown_jobs(runner, app):
    result = runner.invoke(args=["jobs", "run", "no-such-job"])
    assert result.exit_code != 0 and "ledger-verify" in result.output


# --- errors for programs --------------------------------------------------------------------------

def test_api_paths_answer_json_errors(client, app):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_json_bodies_with_nul_are_refused(client, app):
    response = client.post("/login", data='{"username": "a\\u0000b"}', content_type="application/json")
    assert response.status_code == 400


def test_a_backslash_u_in_json_is_text_not_a_nul(client, app):
    # The six characters \u0000 (a JSON string holding a backslash) are ordinary text: the sign-in
    # is judged on its merits (401), not refused as a NUL (400); deep nesting is a 400, not a 500.
    body = '{"username": "\\\\u0000", "password": "not-this-one"}'
    assert client.post("/api/v1/tokens", data=body, content_type="application/json").status_code == 401
    deep = "[" * 100000 + "]" * 100000
    assert client.post("/api/v1/tokens", data=deep, content_type="application/json").status_code == 400
