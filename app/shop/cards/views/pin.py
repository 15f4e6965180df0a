"""The counter's PIN step for a household card: scanned card -> PIN -> the ordinary basket.

Which card was scanned is kept in the shop keeper's signed session for a few minutes, so the PIN
page cannot be opened for another card by editing an address; the basket itself opens only on a
payment code that a right PIN made and holds for this keeper.
"""
from flask import current_app, redirect, render_template, session, url_for
from flask_login import current_user

from app.access.permissions import permission_required
from app.errors import DomainError
from app.extensions import limiter
from app.shop import bp
from app.shop.cards import services as cards
from app.shop.cards.scanned import scanned_card
from app.shop.cards.forms import PinForm
from app.views_util import attempt


def _pin_limit() -> str:
    return current_app.config.get("SHOP_PIN_LIMIT", "10 per 10 minutes")


def _keeper_key() -> str:
    return f"card-pin:{current_user.id}"


def _wrong(response) -> bool:
    return response.status_code in (409, 422)


@bp.route("/shop/card/pin", methods=["GET", "POST"])
@permission_required("shop.counter")
@limiter.limit(_pin_limit, key_func=_keeper_key, methods=["POST"], deduct_when=_wrong)
def card_pin():
    """The household types its PIN on the keeper's phone; a right one opens the basket."""
    card_id = scanned_card()
    if card_id is None:
        return redirect(url_for(".scan"))
    form, status = PinForm(), 200
    if form.validate_on_submit():
        code = attempt(cards.open_with_pin, current_user, card_id, form.pin.data.strip())
        if not isinstance(code.error, cards.WrongPin):  # opened, or refused for good
            session.pop("card_read", None)
            return redirect(url_for(".basket", code_id=code.value.id) if code else url_for(".scan"))
        status = code.status
    try:
        household = cards.scanned_household(current_user, card_id)
    except DomainError:
        return redirect(url_for(".scan"))
    return render_template("shop/card_pin.html", form=form, household=household), status
