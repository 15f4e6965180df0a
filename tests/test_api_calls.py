"""The JSON API v1 call by call, as each demo account: what it may see and do, and nothing more."""
import pytest
import sqlalchemy as sa

from app import events
from app.extensions import db
from app.models import Household, LedgerEntry
from tests import api_world, factories

# Which demo accounts may read which demo household (200), by the household's owner.
READ = {  # account: {household key: status}
    "admin": {"household": 200, "household2": 200, "outsider": 200},
    "city": {"household": 200, "household2": 200, "outsider": 200},
    "committee": {"household": 200, "household2": 200, "outsider": 404},
    "shop": {"household": 403, "household2": 403, "outsider": 403},
    "household": {"household": 200, "household2": 404, "outsider": 404},
    "household2": {"household": 404, "household2": 200, "outsider": 404},
    "outsider": {"household": 404, "household2": 404, "outsider": 200},
}


@pytest.fixture
def world(app, client):
    return api_world.load(app, client)


def _balance(household_id):
    db.session.expire_all()
    return db.session.get(Household, household_id).balance


def _entries():
    return db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))


def test_me_for_every_demo_account(world):
    for username in api_world.ROLES:
        body = world.get(username, "/me").json
        assert body["username"] == username
        assert set(body) == {"username", "role", "household_id", "village_id", "shop_id"}
    assert world.get("household", "/me").json["household_id"] == world.ids["household"]
    assert world.get("household", "/me").json["village_id"] == world.ids["home"]
    assert world.get("outsider", "/me").json["village_id"] == world.ids["away"]
    assert world.get("shop", "/me").json["shop_id"] is not None
    assert world.get("city", "/me").json["village_id"] is None


def test_households_and_entries_stay_in_scope(world):
    for username, expected in READ.items():
        for owner, status in expected.items():
            household_id = world.ids[owner]
            response = world.get(username, f"/households/{household_id}")
            assert response.status_code == status, (username, owner)
            assert world.get(username, f"/households/{household_id}/entries").status_code == status
            if status == 200:
                assert response.json["id"] == household_id
                assert set(response.json) == {"id", "name", "village_id", "balance", "score"}
            else:
                assert set(response.json) == {"error"}
                assert "balance" not in response.text
    assert world.get("gridleader", f"/households/{world.ids['grid_household']}").status_code == 200
    assert world.get("committee", "/households/2147483647").status_code == 404


def test_entries_are_keyset_pages_newest_first(world):
    household_id = world.ids["household"]
    seen, times, cursor = [], [], None
    while True:
        query = {"limit": 3, **({"before": cursor} if cursor else {})}
        page = world.get("household", f"/households/{household_id}/entries", query_string=query).json
        assert len(page["entries"]) <= 3
        seen += [e["id"] for e in page["entries"]]
        times += [e["created_at"] for e in page["entries"]]
        cursor = page["next"]
        if cursor is None:
            break
    total = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))
                              .where(LedgerEntry.household_id == household_id))
    # Newest first by the time shown (README, "JSON API"): the demo's ids do not follow time.
    assert times == sorted(times, reverse=True) and len(seen) == len(set(seen)) == total > 3
    garbage = world.get("household", f"/households/{household_id}/entries?before=%%%")
    assert garbage.status_code == 400 and garbage.json["error"]["field"] == "before"
    forged = world.get("household", f"/households/{household_id}/entries?before=abc&limit=3")
    assert forged.status_code == 400 and forged.json["error"]["field"] == "before"  # not page 1
    assert world.get("household", f"/households/{household_id}/entries?limit=101").status_code == 400
    assert world.get("household", f"/households/{household_id}/entries?colour=red").status_code == 400


def test_rules_are_the_accounts_own_villages(world):
    home = world.get("committee", "/rules").json
    assert home and world.get("household", "/rules").json == home
    assert world.ids["home_rule"] in {r["id"] for r in home}
    away = world.get("outsider", "/rules").json
    assert {r["id"] for r in away}.isdisjoint({r["id"] for r in home})
    assert set(home[0]) == {"id", "code", "name", "category", "points"}
    for username in ("shop", "city", "admin"):
        assert world.get(username, "/rules").status_code == 403


def test_awards_are_idempotent_and_in_scope(world):
    ids, rule = world.ids, world.ids["home_rule"]
    before = _balance(ids["household"])
    body = {"household_ids": [ids["household"], ids["household2"]], "rule_id": rule,
            "note": "API", "idempotency_key": "k-1"}
    first = world.post("committee", "/awards", body)
    assert first.status_code == 201 and len(first.json["entries"]) == 2
    points = first.json["entries"][0]["points"]
    assert _balance(ids["household"]) == before + points
    again = world.post("committee", "/awards", body)
    assert again.status_code == 201 and again.json == first.json
    assert _balance(ids["household"]) == before + points
    count = _entries()
    changed = world.post("committee", "/awards", {**body, "note": "another"})
    assert changed.status_code == 409 and changed.json["error"]["code"] == "idempotency_key_reused"
    fewer = world.post("committee", "/awards", {**body, "household_ids": [ids["household"]]})
    assert fewer.status_code == 409
    # Out of scope, wrong role, own household, another village's rule: refused, nothing written.
    assert world.post("committee", "/awards", {**body, "household_ids": [ids["outsider"]],
                                               "idempotency_key": "k-2"}).status_code in (403, 404)
    assert world.post("committee", "/awards", {"household_ids": [ids["household"], ids["outsider"]],
                                               "rule_id": rule}).status_code in (403, 404)
    assert world.post("committee", "/awards", {"household_ids": [ids["committee_own"]],
                                               "rule_id": rule}).status_code == 403
    assert world.post("committee", "/awards", {"household_ids": [ids["household"]],
                                               "rule_id": ids["away_rule"]}).status_code in (400, 422)
    for username in ("household", "shop", "city", "outsider", "gridleader"):
        assert world.post(username, "/awards", {"household_ids": [ids["household"]],
                                                "rule_id": rule}).status_code == 403
    assert _entries() == count
    # Another account's key is its own: no collision, no probing.
    factories.user("committee-b", "committee", region_id=ids["home"])
    other = api_world.sign_in(world.client, "committee-b", factories.PASSWORD)
    assert world.client.post("/api/v1/awards", json={**body, "note": "other"},
                             headers={"Authorization": f"Bearer {other}"}).status_code == 201
    # The contract gives awards to the committee alone: an admin awards on the pages, not here.
    assert world.post("admin", "/awards", {**body, "idempotency_key": "k-3"}).status_code == 403


def test_reversal_once_and_in_scope(world):
    ids = world.ids
    for username in ("household", "household2", "shop", "city", "gridleader"):
        status = world.post(username, f"/entries/{ids['home_entry']}/reversal",
                            {"reason": "x"}).status_code
        assert status in (403, 404), username
    assert world.post("committee", f"/entries/{ids['away_entry']}/reversal",
                      {"reason": "x"}).status_code == 404
    assert world.post("committee", "/entries/2147483647/reversal", {"reason": "x"}).status_code == 404
    before = _balance(ids["household2"])
    first = world.post("committee", f"/entries/{ids['home_entry']}/reversal", {"reason": "错了"})
    assert first.status_code == 201 and first.json["kind"] == "reversal"
    assert _balance(ids["household2"]) == before + first.json["points"]
    second = world.post("committee", f"/entries/{ids['home_entry']}/reversal", {"reason": "again"})
    assert second.status_code == 409 and second.json["error"]["code"]
    assert world.post("committee", f"/entries/{ids['home_entry']}/reversal", {}).status_code == 400


def test_notifications_are_the_accounts_own(world, app):
    household = db.session.scalar(sa.select(api_world.User).where(api_world.User.username == "household"))
    for n in range(3):
        events.notify(household.id, "api.test", {"n": n})
    db.session.commit()
    page = world.get("household", "/notifications", query_string={"limit": 2}).json
    assert [n["kind"] for n in page["notifications"]] == ["api.test", "api.test"]
    assert page["next"] and page["notifications"][0]["read"] is False
    rest = world.get("household", "/notifications", query_string={"before": page["next"]}).json
    assert len(rest["notifications"]) == 1 and rest["next"] is None
    assert world.get("household2", "/notifications").json["notifications"] == []
