"""The year-end settlement (年度清零): warnings once, expiry once per household and settlement,
balances to zero with the score kept, never a negative balance touched, races with job runners
and sales, the /me banner, the receipt line, the committee's page and its access."""
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.dates import local_now
from app.errors import InsufficientPoints, InvalidInput
from app.extensions import db
from app.jobs import registered, run_job
from app.ledger import reads, services, settlement
from app.models import Household, LedgerEntry, Notification, Settlement, User, VillageSettings
from app.rankings import recount
from app.shop import checkout, codes
from tests import factories, races
from tests.ledger_world import make_world
from tests.shop_world import make_shop_world
from tests.test_queries import count_queries


def _today() -> date:
    return local_now().date()


def _noon(day: date) -> datetime:
    """Noon UTC of a day: the same local date in China (20:00)."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


@pytest.fixture
def w(app):
    """甲村: h1 150, h2 10, h3 -20 (a deduction), far (乙村) 10; settlement in 5 days, warn 30."""
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_world()
    services.award(w.committee, [w.h1.id], w.big.id)
    services.award(w.committee, [w.h1.id, w.h2.id], w.good.id)
    services.award(w.other_committee, [w.far.id], w.other_rule.id)
    services.award(w.committee, [w.h1.id], w.good.id, "又一次")
    services.deduct(w.committee, [w.h3.id], w.bad.id, "乱扔垃圾")
    services.redeem(w.committee, w.h1.id, 10)  # h1: score 120, balance 110
    services.award(w.committee, [w.h1.id], w.good.id, "第三次")
    services.award(w.committee, [w.h1.id], w.good.id, "第四次")
    services.award(w.committee, [w.h1.id], w.good.id, "第五次")
    services.award(w.committee, [w.h1.id], w.good.id, "第六次")  # h1: score 160, balance 150
    w.on = _today() + timedelta(days=5)
    settlement.save_settlement(w.committee, w.home.id, w.on, 30)
    db.session.rollback()
    return w


def _figures(*households):
    db.session.expire_all()
    return {h.id: (db.session.get(Household, h.id).balance, db.session.get(Household, h.id).score)
            for h in households}


def _expiries():
    return db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == "expiry")
                              .order_by(LedgerEntry.household_id)).all()


def test_the_settlement_lapses_positive_balances_and_keeps_scores(w):
    before = _figures(w.h1, w.h2, w.h3, w.far)
    assert before == {w.h1.id: (150, 160), w.h2.id: (10, 10), w.h3.id: (-20, -20),
                      w.far.id: (10, 10)}
    months = recount.stored()
    # On the date itself nothing lapses: points lapse at the end of the day.
    settlement.run_settlements(_noon(w.on))
    assert _expiries() == []
    summary = settlement.run_settlements(_noon(w.on + timedelta(days=1)))
    assert "1 settled" in summary
    assert _figures(w.h1, w.h2, w.h3, w.far) == {
        w.h1.id: (0, 160), w.h2.id: (0, 10), w.h3.id: (-20, -20), w.far.id: (10, 10)}
    assert [(e.household_id, e.points, e.ref_type) for e in _expiries()] == [
        (w.h1.id, -150, "settlement"), (w.h2.id, -10, "settlement")]
    assert reads.verify() == []
    assert recount.stored() == months and recount.verify() == []
    done = db.session.scalar(sa.select(Settlement))
    assert (done.settle_on, done.households, done.points) == (w.on, 2, 160)
    with pytest.raises(InvalidInput):  # that date is done: it would never run nor move on
        settlement.save_settlement(w.committee, w.home.id, w.on, 30)
    # The next settlement is a year on; the setting stays on.
    assert db.session.get(VillageSettings, w.home.id).settlement_on == settlement.year_on(w.on)


def test_run_twice_expires_once(w):
    job = registered()["settlement"]
    later = _noon(w.on + timedelta(days=1))
    assert run_job(job, later)[0] == "ran"
    assert run_job(job, later)[0] == "skipped"  # the hour's run is claimed
    # A later run, and a run outside the job machinery, find the settlement done.
    assert run_job(job, later + timedelta(hours=5)) == ("ran", "0 village(s) warned, 0 settled")
    settlement.run_settlements(later + timedelta(hours=6))
    assert len(_expiries()) == 2
    assert db.session.scalar(sa.select(sa.func.count(Settlement.id))) == 1
    assert _figures(w.h1)[w.h1.id] == (0, 160)
    assert reads.verify() == []


def test_two_job_runners_at_once_expire_once(app, w):
    later = _noon(w.on + timedelta(days=1))
    results = races.race(app, lambda i: settlement.run_settlements(later), threads=6)
    assert all(isinstance(r, str) for r in results), results
    assert sum("1 settled" in r for r in results) == 1, results
    assert [(e.household_id, e.points) for e in _expiries()] == [(w.h1.id, -150), (w.h2.id, -10)]
    assert _figures(w.h1, w.h2) == {w.h1.id: (0, 160), w.h2.id: (0, 10)}
    assert reads.verify() == []


def test_a_sale_racing_the_expiry_never_overdraws(app, w):
    later = _noon(w.on + timedelta(days=1))
    committee_id, h1 = w.committee.id, w.h1.id
    db.session.rollback()  # on SQLite the main session's read would hold the write lock

    def work(i):
        if i == 0:
            return settlement.run_settlements(later)
        return services.redeem(db.session.get(User, committee_id), h1, 40).id

    results = races.race(app, work, threads=6)
    spent = [r for r in results[1:] if isinstance(r, int)]
    refused = [r for r in results[1:] if isinstance(r, InsufficientPoints)]
    assert len(spent) + len(refused) == 5, results
    lapsed = -sum(e.points for e in _expiries() if e.household_id == h1)
    # Whatever the order, the 150 points were either spent or lapsed, never more.
    assert lapsed + 40 * len(spent) == 150 and lapsed >= 0
    assert _figures(w.h1)[h1] == (0, 160)
    assert reads.verify() == []


def test_warnings_go_out_once_per_household(app, w):
    h1_user_2 = User(username="h1b", role="household", household_id=w.h1.id)
    h1_user_2.set_password("secret-pass")
    db.session.add(h1_user_2)
    db.session.commit()
    far_user = User(username="faru", role="household", household_id=w.far.id)
    far_user.set_password("secret-pass")
    db.session.add(far_user)
    db.session.commit()
    early = _noon(w.on - timedelta(days=31))
    assert "0 village(s) warned" in settlement.run_settlements(early)  # before the window
    now = _noon(_today())
    races.race(app, lambda i: settlement.run_settlements(now), threads=4)
    settlement.run_settlements(now + timedelta(days=1))
    events.deliver_pending()
    events.deliver_pending()
    notes = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "settlement.warning").order_by(Notification.user_id)).all()
    # h1's two accounts and h2's; not h3 (nothing to lose) nor the other village's household.
    assert sorted(n.user_id for n in notes) == sorted([w.h1_user.id, h1_user_2.id, w.h2_user.id])
    assert {n.params["points"] for n in notes if n.user_id == w.h2_user.id} == {10}
    assert all(n.params["date"] == w.on.isoformat() for n in notes)
    assert w.on.isoformat() in events.text_of(notes[0])


def test_preview_lists_what_the_run_writes(w):
    preview = [(h.id, h.balance) for h in settlement.preview_page(w.home.id, None)]
    assert preview == [(w.h1.id, 150), (w.h2.id, 10)]
    assert settlement.preview_page(w.home.id, w.h1.id) == [db.session.get(Household, w.h2.id)]
    settlement.run_settlements(_noon(w.on + timedelta(days=1)))
    done = db.session.scalar(sa.select(Settlement))
    assert [(h.id, points) for h, points in settlement.expired_page(done, None)] == preview
    assert settlement.preview_page(w.home.id, None) == []


def test_settings_are_checked(w):
    with pytest.raises(InvalidInput):
        settlement.save_settlement(w.committee, w.home.id, _today() - timedelta(days=1), 30)
    with pytest.raises(InvalidInput):
        settlement.save_settlement(w.committee, w.home.id, w.on, 0)
    settlement.save_settlement(w.committee, w.home.id, None, 30)
    assert db.session.get(VillageSettings, w.home.id).settlement_on is None
    assert "0 settled" in settlement.run_settlements(_noon(w.on + timedelta(days=1)))
    assert _expiries() == []


def test_banner_on_me_only_in_the_window_and_costs_no_query(client, auth, w):
    home, committee_id = w.home.id, w.committee.id
    factories.user("h3", "household", household_id=w.h3.id)
    auth.login("h1")
    db.session.expunge_all()  # the test shares the requests' session: start each one cold
    with count_queries() as inside:
        page = client.get("/me").text
    assert 'id="lapse-banner"' in page and "150" in page and w.on.isoformat() in page
    committee = db.session.get(User, committee_id)
    settlement.save_settlement(committee, home, _today() + timedelta(days=40), 30)
    db.session.expunge_all()
    with count_queries() as outside:
        page = client.get("/me").text
    assert 'id="lapse-banner"' not in page
    assert len(inside) == len(outside)
    auth.logout()
    auth.login("h2")
    settlement.save_settlement(db.session.get(User, committee_id), home, w.on, 30)
    assert 'id="lapse-banner"' in client.get("/me").text
    auth.logout()
    auth.login("h3")  # a negative balance: nothing lapses, no banner
    assert 'id="lapse-banner"' not in client.get("/me").text


def test_receipt_says_how_many_points_lapse_and_when(client, auth, app):
    app.config["WTF_CSRF_ENABLED"] = False
    s = make_shop_world()
    code = codes.issue(s.h1_user)
    sale = checkout.checkout(s.keeper, [(s.soap.id, 2)], idempotency_key="k1", code=code["secret"])
    auth.login("keeper")
    assert 'id="lapse-line"' not in client.get(f"/shop/redemptions/{sale.id}").text
    on = _today() + timedelta(days=3)
    settlement.save_settlement(s.committee, s.home.id, on, 30)
    receipt = client.get(f"/shop/redemptions/{sale.id}").text
    assert 'id="lapse-line"' in receipt and "90" in receipt and on.isoformat() in receipt
    assert "清零" in receipt
    settlement.save_settlement(s.committee, s.home.id, _today() + timedelta(days=60), 30)
    assert 'id="lapse-line"' not in client.get(f"/shop/redemptions/{sale.id}").text


def test_committee_page_saves_previews_and_lists_and_access(client, auth, w):
    auth.login("committee")
    page = client.get("/ledger/settlement").text
    assert 'id="settlement-preview"' in page and "一户" in page and 'id="settlement-form"' in page
    response = client.post("/ledger/settlement", data={"enabled": "y", "settle_on": "1999-01-01",
                                                "warn_days": "30"})
    assert response.status_code == 302
    assert db.session.get(VillageSettings, w.home.id).settlement_on == w.on  # refused
    later = (_today() + timedelta(days=100)).isoformat()
    client.post("/ledger/settlement", data={"enabled": "y", "settle_on": later, "warn_days": "7"})
    db.session.expire_all()
    stored = db.session.get(VillageSettings, w.home.id)
    assert (stored.settlement_on.isoformat(), stored.settlement_warn_days) == (later, 7)
    client.post("/ledger/settlement", data={"settle_on": later, "warn_days": "7"})  # switched off
    db.session.expire_all()
    assert db.session.get(VillageSettings, w.home.id).settlement_on is None
    settlement.save_settlement(w.committee, w.home.id, w.on, 30)
    settlement.run_settlements(_noon(w.on + timedelta(days=1)))
    done = db.session.scalar(sa.select(Settlement))
    listing = client.get(f"/ledger/settlement/{done.id}").text
    assert 'id="settlement-expired"' in listing and "150" in listing
    auth.logout()
    factories.user("official", "official", region_id=w._township.id)
    auth.login("official")  # an official above reads, without the form, and cannot save
    page = client.get(f"/ledger/settlement?village={w.home.id}").text
    assert 'id="settlement-history"' in page and 'id="settlement-form"' not in page
    assert client.get(f"/ledger/settlement/{done.id}").status_code == 200
    assert client.post(f"/ledger/settlement?village={w.home.id}",
                       data={"warn_days": "7"}).status_code == 403
    auth.logout()
    auth.login("committee2")  # the other village's committee
    assert client.get(f"/ledger/settlement?village={w.home.id}").status_code == 404
    assert client.get(f"/ledger/settlement/{done.id}").status_code == 404
    auth.logout()
    auth.login("h1")
    assert client.get("/ledger/settlement").status_code == 403
    assert client.post("/ledger/settlement", data={"warn_days": "7"}).status_code == 403
    assert client.get(f"/ledger/settlement/{done.id}").status_code == 403
