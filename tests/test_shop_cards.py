"""Printed household cards with a PIN: issue, pay, lockout, unlock, reissue, forged and other
village's cards, the sheets and the PIN slips."""
import os
import re

import pytest
import sqlalchemy as sa

from app import events
from app.errors import Conflict, NotAllowed
from app.extensions import db
from app.models import Household, Notification, OutboxEvent
from app.models.shop import HouseholdCard, PaymentCode, Redemption
from app.shop import checkout
from app.shop.cards import services as cards
from app.shop.counter import services as counter
from tests import factories
from tests.shop_world import make_shop_world


TABLE = HouseholdCard.__table__


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return make_shop_world()


def _issue(w, reissue=False):
    slips = cards.issue_cards(w.committee, w.home.id, reissue=reissue)
    return {s.household.id: s.pin for s in slips}


def _pay(w, card_text, pin, items):
    kind, card_id = counter.read_code(w.keeper, card_text)
    assert kind == "card"
    code = cards.open_with_pin(w.keeper, card_id, pin)
    return checkout.checkout(w.keeper, items, "card-basket-1", code_id=code.id)


def test_issue_stores_only_hashes_and_never_the_household_id(w):
    pins = _issue(w)
    assert set(pins) == {w.h1.id, w.h2.id} and all(re.fullmatch(r"\d{6}", p) for p in pins.values())
    card = cards.card_of(w.h1.id)
    secret = cards.secret_of(card)
    # "K1" and exactly 128 bits (22 base64url characters): no room for the household's id beside
    # them (comparing a random text with the id's digits failed one run in thirty).
    assert re.fullmatch(r"K1[A-Za-z0-9_-]{22}", secret), secret
    dumped = " ".join(str(v) for row in db.session.execute(sa.select(HouseholdCard.__table__))
                      for v in row)
    assert secret not in dumped and pins[w.h1.id] not in dumped.split()
    assert _issue(w) == {}  # households with a card get none twice


def test_card_and_pin_pay_once_through_the_ordinary_checkout(w):
    pins = _issue(w)
    text = cards.secret_of(cards.card_of(w.h1.id))
    sale = _pay(w, text, pins[w.h1.id], [(w.rice.id, 1), (w.soap.id, 2)])
    assert sale.points == 60 and sale.balance_after == 40
    assert db.session.get(PaymentCode, sale.payment_code_id).card_id == cards.card_of(w.h1.id).id
    again = checkout.checkout(w.keeper, [(w.rice.id, 1)], "card-basket-1",
                              code_id=sale.payment_code_id)
    assert again.id == sale.id  # the same basket key: the first sale, nothing more
    with pytest.raises(Conflict):  # the code is used
        checkout.checkout(w.keeper, [(w.soap.id, 1)], "card-basket-2",
                          code_id=sale.payment_code_id)
    db.session.rollback()
    assert db.session.get(Household, w.h1.id).balance == 40
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == 1


def test_five_wrong_pins_lock_the_card_and_tell_the_committee(w, app):
    pins = _issue(w)
    card = cards.card_of(w.h1.id)
    wrong = "000000" if pins[w.h1.id] != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(cards.WrongPin) as caught:
            cards.open_with_pin(w.keeper, card.id, wrong)
        assert str(left) in caught.value.message
    with pytest.raises(cards.CardInvalid) as caught:
        cards.open_with_pin(w.keeper, card.id, wrong)
    assert caught.value.code == "card_locked"
    db.session.refresh(card)
    assert card.status == "locked" and card.failed_pins == 5
    with pytest.raises(cards.CardInvalid):  # the right PIN no longer helps
        cards.open_with_pin(w.keeper, card.id, pins[w.h1.id])
    with pytest.raises(cards.CardInvalid):
        counter.read_code(w.keeper, cards.secret_of(card))
    assert db.session.scalar(sa.select(sa.func.count(OutboxEvent.id))
                             .where(OutboxEvent.kind == "card.locked")) == 1
    events.deliver_pending()
    notes = db.session.scalars(sa.select(Notification)
                               .where(Notification.kind == "card.locked")).all()
    assert [n.user_id for n in notes] == [w.committee.id]
    assert "一户" in events.text_of(notes[0])
    cards.unlock(w.committee, card.id)
    db.session.refresh(card)
    assert card.status == "active" and card.failed_pins == 0
    assert cards.open_with_pin(w.keeper, card.id, pins[w.h1.id]).household_id == w.h1.id


def test_a_right_pin_resets_the_count(w):
    pins = _issue(w)
    card = cards.card_of(w.h1.id)
    with pytest.raises(cards.WrongPin):
        cards.open_with_pin(w.keeper, card.id, "abc")
    cards.open_with_pin(w.keeper, card.id, pins[w.h1.id])
    db.session.refresh(card)
    assert card.failed_pins == 0


def _refusal(action):
    with pytest.raises(cards.CardInvalid) as caught:
        action()
    db.session.rollback()
    return caught.value.message


def test_revoked_forged_locked_and_other_village_cards_get_one_answer(w):
    old = _issue(w)
    revoked_text = cards.secret_of(cards.card_of(w.h1.id))
    slip = cards.reissue(w.committee, w.h1.id)
    assert slip.pin and cards.secret_of(cards.card_of(w.h1.id)) != revoked_text
    assert old[w.h1.id]
    locked = cards.card_of(w.h2.id)
    db.session.execute(TABLE.update().where(TABLE.c.id == locked.id)
                       .values(status="locked", failed_pins=5))
    db.session.commit()
    far_slips = cards.issue_cards(w.other_committee, w.other.id)
    far_text = cards.secret_of(cards.card_of(far_slips[0].household.id))
    answers = {_refusal(lambda: counter.read_code(w.keeper, revoked_text)),
               _refusal(lambda: counter.read_code(w.keeper, "K1" + "A" * 22)),
               _refusal(lambda: counter.read_code(w.keeper, revoked_text[:-1] + "x")),
               _refusal(lambda: counter.read_code(w.keeper, cards.secret_of(locked))),
               _refusal(lambda: counter.read_code(w.keeper, far_text))}
    assert len(answers) == 1
    far_card = cards.card_of(far_slips[0].household.id)
    with pytest.raises(cards.CardInvalid):  # another village's card: the try is not even counted
        cards.open_with_pin(w.keeper, far_card.id, far_slips[0].pin)
    db.session.refresh(far_card)
    assert far_card.failed_pins == 0


def test_committee_acts_only_on_its_own_village(w):
    _issue(w)
    with pytest.raises(NotAllowed):
        cards.issue_cards(w.other_committee, w.home.id)
    db.session.rollback()
    for action in (lambda: cards.reissue(w.other_committee, w.h1.id),
                   lambda: cards.unlock(w.other_committee, cards.card_of(w.h1.id).id),
                   lambda: cards.set_pin(w.other_committee, cards.card_of(w.h1.id).id, "忘记密码")):
        with pytest.raises(cards.NotFound):
            action()
        db.session.rollback()
    with pytest.raises(NotAllowed):
        cards.issue_cards(w.keeper, w.home.id)


def test_new_pin_replaces_the_old(w):
    pins = _issue(w)
    card = cards.card_of(w.h1.id)
    slip = cards.set_pin(w.committee, card.id, "户主忘记密码")
    if slip.pin != pins[w.h1.id]:
        with pytest.raises(cards.WrongPin):
            cards.open_with_pin(w.keeper, card.id, pins[w.h1.id])
    assert cards.open_with_pin(w.keeper, card.id, slip.pin).household_id == w.h1.id


def test_household_for_card_checks_scope_and_status_without_a_pin(w):
    _issue(w)
    text = cards.secret_of(cards.card_of(w.h1.id))
    assert cards.household_for_card(w.committee, text).id == w.h1.id
    with pytest.raises(cards.CardInvalid):
        cards.household_for_card(w.other_committee, text)
    with pytest.raises(cards.CardInvalid):
        cards.household_for_card(w.committee, "K1forged")
    cards.reissue(w.committee, w.h1.id)
    with pytest.raises(cards.CardInvalid):
        cards.household_for_card(w.committee, text)


# Pages.

def test_scan_pin_basket_checkout_through_the_pages(client, auth, w):
    pins = _issue(w)
    text = cards.secret_of(cards.card_of(w.h1.id))
    auth.login("keeper")
    assert client.get("/shop/card/pin").status_code == 302  # nothing scanned: back to the scanner
    read = client.post("/shop/scan", data={"code": text})
    assert read.status_code == 302 and read.headers["Location"].endswith("/shop/card/pin")
    page = client.get("/shop/card/pin")
    assert page.status_code == 200 and 'inputmode="numeric"' in page.text
    assert 'autocomplete="off"' in page.text and "一户" in page.text
    wrong = client.post("/shop/card/pin", data={"pin": "x" * 12})
    assert wrong.status_code == 409
    right = client.post("/shop/card/pin", data={"pin": pins[w.h1.id]})
    code_id = int(right.headers["Location"].rsplit("/", 1)[1])
    assert client.get(f"/shop/basket/{code_id}").status_code == 200
    done = client.post(f"/shop/basket/{code_id}/checkout",
                       data={f"qty-{w.soap.id}": "2", "idempotency_key": "k-pages"})
    assert "/shop/redemptions/" in done.headers["Location"]
    assert db.session.get(Household, w.h1.id).balance == 90
    assert client.post("/shop/card/pin", data={"pin": pins[w.h1.id]}).status_code == 302


def test_basket_cannot_be_opened_without_the_pin(client, auth, w):
    _issue(w)
    auth.login("keeper")
    client.post("/shop/scan", data={"code": cards.secret_of(cards.card_of(w.h1.id))})
    for code_id in (1, 2, 99):
        assert client.get(f"/shop/basket/{code_id}").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(PaymentCode.id))) == 0


def test_committee_pages_issue_print_and_never_show_pins_again(client, auth, w):
    auth.login("committee")
    page = client.get("/shop/cards")
    assert page.status_code == 200 and "一户" in page.text
    issued = client.post("/shop/cards/issue", data={"grid": ""})
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    shown = re.findall(r'class="slip-password">(\d{6})<', issued.text)
    assert len(shown) == 2
    refused = client.post("/shop/cards/issue", data={"grid": "", "reissue": "y"})
    assert refused.status_code == 302
    sheet = client.get("/shop/cards/sheet")
    assert sheet.status_code == 200 and sheet.text.count('class="card-qr"') == 2
    for pin in shown:
        assert pin not in sheet.text and pin not in client.get("/shop/cards").text
    card = cards.card_of(w.h1.id)
    assert cards.secret_of(card) not in sheet.text  # only inside the QR image
    again = client.post("/shop/cards/issue", data={"grid": "", "reissue": "y", "confirm": "y"})
    assert len(re.findall(r'class="slip-password">(\d{6})<', again.text)) == 2
    db.session.expire_all()
    assert db.session.get(HouseholdCard, card.id).status == "revoked"


def test_other_roles_and_villages_get_no_card_pages(client, auth, w):
    auth.login("committee2")
    assert client.get(f"/shop/cards?village={w.home.id}").status_code == 404
    assert client.get(f"/shop/cards/sheet?village={w.home.id}").status_code == 404
    auth.logout()
    auth.login("h1")
    assert client.get("/shop/cards").status_code == 403


@pytest.mark.parametrize("path", ["/shop/cards?grid=abc", "/shop/cards?village=99999999999999999",
                                  "/shop/cards/sheet?part=-3", "/shop/cards/sheet?grid=999"])
def test_bad_input_is_never_a_500(client, auth, w, path):
    auth.login("committee")
    assert client.get(path).status_code in (200, 302, 404)


def test_me_shows_the_card_but_not_its_pin(client, auth, w):
    pins = _issue(w)
    auth.login("h1")
    page = client.get("/me")
    assert 'id="my-card"' in page.text and pins[w.h1.id] not in page.text


def test_sheet_as_pdf_has_ten_cards_a_page_and_the_qr_at_30_mm(app, client, auth, w):
    if os.environ.get("REQUIRE_PDF"):  # CI: a missing WeasyPrint or Pango is a failure
        import weasyprint
    else:
        weasyprint = pytest.importorskip("weasyprint")
    from app.shop.cards import sheets as card_sheets

    for n in range(9):
        factories.household(w.home, head_name=f"添{n}")
    _issue(w)
    auth.login("committee")
    pdf = client.get("/shop/cards/sheet.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with app.test_request_context():
        data = card_sheets.sheet(w.committee, w.home.id, None, 1)
        document = weasyprint.HTML(string=card_sheets.render_html(data, pdf=True)).render(
            stylesheets=[weasyprint.CSS(filename=card_sheets.stylesheet_path())])
    assert data["count"] == 11 and len(document.pages) == 2

    def images(box):
        if getattr(box, "element_tag", None) == "img":
            yield box
        for child in getattr(box, "children", None) or []:
            yield from images(child)

    found = list(images(document.pages[0]._page_box))
    assert len(found) == 10 and all(abs(i.width * 25.4 / 96 - 30) < 0.01 for i in found)


def test_a_grid_gets_only_its_households_cards(w):
    grid = factories.grid(w.home, "一组")
    db.session.execute(sa.update(Household).where(Household.id == w.h1.id).values(grid_id=grid.id))
    db.session.commit()
    assert len(cards.issue_cards(w.committee, w.home.id, grid.id)) == 1


def test_racing_counters_never_get_a_sixth_try(app, w):
    from app.models import User
    from tests.races import race

    pins = _issue(w)
    card_id, keeper_id = cards.card_of(w.h1.id).id, w.keeper.id
    wrong = "000000" if pins[w.h1.id] != "000000" else "111111"
    db.session.execute(TABLE.update().where(TABLE.c.id == card_id)
                       .values(failed_pins=3))
    db.session.commit()
    results = race(app, lambda i: cards.open_with_pin(db.session.get(User, keeper_id), card_id,
                                                      wrong), threads=10)
    kinds = sorted(type(r).__name__ + ":" + getattr(r, "code", "") for r in results)
    assert kinds.count("WrongPin:wrong_pin") == 1 and kinds.count("CardInvalid:card_locked") == 1
    assert kinds.count("CardInvalid:card_invalid") == 8, kinds
    db.session.expire_all()
    card = db.session.get(HouseholdCard, card_id)
    assert card.status == "locked" and card.failed_pins == 5
    assert db.session.scalar(sa.select(sa.func.count(OutboxEvent.id))
                             .where(OutboxEvent.kind == "card.locked")) == 1


def test_wrong_pins_are_rate_limited_per_keeper(app, client, auth, w):
    app.config["SHOP_PIN_LIMIT"] = "3 per 10 minutes"
    pins = _issue(w)
    wrong = "000000" if pins[w.h1.id] != "000000" else "111111"
    auth.login("keeper")
    client.post("/shop/scan", data={"code": cards.secret_of(cards.card_of(w.h1.id))})
    for _ in range(3):
        assert client.post("/shop/card/pin", data={"pin": wrong}).status_code == 409
    assert client.post("/shop/card/pin", data={"pin": wrong}).status_code == 429
    db.session.expire_all()
    assert cards.card_of(w.h1.id).failed_pins == 3  # the limited try never reached the card


def test_without_weasyprint_the_pdf_link_falls_back_to_the_browser_sheet(client, auth, w,
                                                                        monkeypatch):
    from app.shop.cards import sheets as card_sheets

    def missing(data):
        raise ImportError("weasyprint")

    monkeypatch.setattr(card_sheets, "render_pdf", missing)
    _issue(w)
    auth.login("committee")
    response = client.get("/shop/cards/sheet.pdf?grid=")
    assert response.status_code == 302 and "/shop/cards/sheet" in response.headers["Location"]
