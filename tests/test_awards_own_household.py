"""A batch award that names the committee member's own household goes to the rest and leaves
that household, marked on the preview, for another member of the committee (issue 19, item 2)."""
import html
import re

import pytest
import sqlalchemy as sa

from app import events
from app.extensions import db
from app.models import Household, LedgerEntry, Notification
from tests import api_world, factories
from tests.ledger_world import make_world

HIDDEN = re.compile(r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)">')


@pytest.fixture
def w(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    world = make_world()
    world.committee.household_id = world.h1.id  # the member lives in 一户, of the grid
    world.second = factories.user("committee-b", "committee", region_id=world.home.id)
    db.session.commit()
    return world


def _balances(*households):
    db.session.expire_all()
    return tuple(db.session.get(Household, h.id).balance for h in households)


def _confirm_fields(page: str) -> dict:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def test_grid_award_marks_own_household_awards_the_rest_and_leaves_it_waiting(client, auth, w):
    auth.login("committee")
    page = client.post("/ledger/award/preview", data={"rule_id": w.good.id, "target": "grid",
                                                       "grid_id": w.grid.id}).get_data(as_text=True)
    # The preview lists the member's own household, marked, and counts only the other one.
    assert "本户须由村委会其他成员发放" in page and 'id="confirm-own"' in page
    row = page[page.index("own-household"):]
    assert "一户" in row[:400]
    assert 'id="confirm-total">+10<' in page
    response = client.post("/ledger/award/confirm", data=_confirm_fields(page))
    assert response.status_code == 302
    assert _balances(w.h1, w.h2) == (0, 10)
    # The member is told which household waits for another member, not "nothing recorded".
    entries = client.get(response.location).get_data(as_text=True)
    assert "等待村委会其他成员" in entries and "一户" in entries
    assert "不能修改自己家的积分" not in entries
    # The other members find it waiting in their notifications; the member does not.
    events.deliver_pending()
    told = db.session.scalars(sa.select(Notification.user_id).where(
        Notification.kind == "award.left_for_another")).all()
    assert told == [w.second.id]
    # Another member of the committee then awards it.
    auth.logout()
    auth.login("committee-b")
    waiting = client.get("/notifications").get_data(as_text=True)
    assert "一户" in waiting and "好人好事" in waiting
    page = client.post("/ledger/award/preview", data={"rule_id": w.good.id, "target": "household",
                                                       "household_number": w.h1.number}
                       ).get_data(as_text=True)
    assert "本户须由村委会其他成员发放" not in page
    client.post("/ledger/award/confirm", data=_confirm_fields(page))
    assert _balances(w.h1, w.h2) == (10, 10)
    actors = set(db.session.execute(sa.select(LedgerEntry.household_id, LedgerEntry.actor_id)))
    assert actors == {(w.h2.id, w.committee.id), (w.h1.id, w.second.id)}


def test_own_household_alone_offers_no_button(client, auth, w):
    auth.login("committee")
    page = client.post("/ledger/award/preview", data={"rule_id": w.good.id, "target": "household",
                                                       "household_number": w.h1.number}
                       ).get_data(as_text=True)
    assert "本户须由村委会其他成员发放" in page and "确认加分" not in page
    assert 'id="confirm-total">+0<' in page
    # Posted anyway, it is refused and nothing is written.
    client.post("/ledger/award/confirm", data=_confirm_fields(page))
    assert _balances(w.h1) == (0,)


def test_api_award_lists_own_household_as_skipped(app, client, w):
    app.config["LOGIN_LIMIT_PER_USERNAME"] = "1000 per minute"
    token = api_world.sign_in(client, "committee", factories.PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"household_ids": [w.h1.id, w.h2.id], "rule_id": w.good.id, "idempotency_key": "batch-1"}
    first = client.post("/api/v1/awards", json=body, headers=headers)
    assert first.status_code == 201, first.json
    assert [e["points"] for e in first.json["entries"]] == [10]
    assert first.json["skipped"] == [{"household_id": w.h1.id, "reason": "own_household"}]
    assert _balances(w.h1, w.h2) == (0, 10)
    # The same key again: the same answer, nothing added.
    again = client.post("/api/v1/awards", json=body, headers=headers)
    assert again.status_code == 201 and again.json == first.json
    assert _balances(w.h1, w.h2) == (0, 10)
    # Only the own household: refused, as before.
    alone = client.post("/api/v1/awards", json={"household_ids": [w.h1.id], "rule_id": w.good.id},
                        headers=headers)
    assert alone.status_code == 403 and alone.json["error"]["code"] == "own_household"
    # A batch without the own household has an empty `skipped`.
    plain = client.post("/api/v1/awards", json={"household_ids": [w.h2.id], "rule_id": w.good.id},
                        headers=headers)
    assert plain.status_code == 201 and plain.json["skipped"] == []
    document = client.get("/api/v1/openapi.json").json
    assert "skipped" in document["components"]["schemas"]["EntriesOut"]["properties"]
