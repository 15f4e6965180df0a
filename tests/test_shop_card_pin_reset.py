"""A committee's reset of a household card's PIN (which lets whoever knows it spend the points)
needs a reason, is kept on the card, and is told to the household: a notification and a line on
its next receipt (issue 19, item 9)."""
import re

import pytest
import sqlalchemy as sa

from app import events
from app.extensions import db
from app.models import Notification
from app.models.shop import HouseholdCard
from app.shop import checkout
from app.shop.cards import services as cards
from app.shop.counter import services as counter
from tests.shop_world import make_shop_world


@pytest.fixture
def w(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    world = make_shop_world()
    world.pins = {s.household.id: s.pin for s in cards.issue_cards(world.committee, world.home.id)}
    world.card = cards.card_of(world.h1.id)
    return world


def _login(client, username):
    client.post("/logout")
    client.post("/login", data={"username": username, "password": "secret-pass"})


def _sell(w, pin, key):
    kind, card_id = counter.read_code(w.keeper, cards.secret_of(w.card))
    code = cards.open_with_pin(w.keeper, card_id, pin)
    return checkout.checkout(w.keeper, [(w.soap.id, 1)], key, code_id=code.id)


def test_a_pin_reset_needs_a_reason_and_is_kept_on_the_card(client, w):
    _login(client, "committee")
    url = f"/shop/cards/{w.card.id}/pin?village={w.home.id}"
    refused = client.post(url, data={"reason": "   "}, follow_redirects=True)
    assert "说明重置密码的原因" in refused.text and 'class="small text-muted pin-reset"' not in refused.text
    db.session.expire_all()
    assert db.session.get(HouseholdCard, w.card.id).pin_reset_at is None
    with pytest.raises(cards.InvalidInput):
        cards.set_pin(w.committee, w.card.id, "")
    slip = client.post(url, data={"reason": "户主忘记密码"})
    assert slip.status_code == 200 and re.search(r"\b\d{6}\b", slip.text)
    db.session.expire_all()
    card = db.session.get(HouseholdCard, w.card.id)
    assert card.pin_reset_by_id == w.committee.id and card.pin_reset_reason == "户主忘记密码"
    assert card.pin_reset_at is not None
    # The card page and the printed sheet say when and by whom.
    page = client.get(f"/shop/cards?village={w.home.id}").text
    assert "户主忘记密码" in page and "重置" in page.split('class="small text-muted pin-reset"')[1][:300]
    sheet = client.get(f"/shop/cards/sheet?village={w.home.id}").text
    assert 'card-pin-reset' in sheet


def test_the_household_is_told_by_notification_and_its_next_receipt(client, w):
    before = _sell(w, w.pins[w.h1.id], "before-reset")
    slip = cards.set_pin(w.committee, w.card.id, "户主忘记密码")
    events.deliver_pending()
    notes = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "card.pin_reset")).all()
    assert [n.user_id for n in notes] == [w.h1_user.id]
    _login(client, "h1")
    listing = client.get("/notifications").text
    assert "户卡密码" in listing and "户主忘记密码" in listing
    first = _sell(w, slip.pin, "after-reset-1")
    second = _sell(w, slip.pin, "after-reset-2")
    _login(client, "keeper")
    receipt = client.get(f"/shop/redemptions/{first.id}").text
    assert 'id="pin-reset-notice"' in receipt and "户卡密码已于" in receipt and "重置" in receipt
    # Only the first receipt after the reset, not earlier or later ones.
    assert 'id="pin-reset-notice"' not in client.get(f"/shop/redemptions/{before.id}").text
    assert 'id="pin-reset-notice"' not in client.get(f"/shop/redemptions/{second.id}").text
