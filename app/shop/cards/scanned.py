"""The household card a shop keeper just scanned, kept in the keeper's signed session for a few
minutes while the household types its PIN: the counter's scan page remembers it, the PIN page
(cards/views/pin.py) reads it back, so that page cannot be opened for another card by editing an
address."""
import time
from typing import Optional

from flask import redirect, session, url_for
from flask_login import current_user

READ_SECONDS = 300  # how long a scanned card waits for its PIN


def card_read(card_id: int):
    """Remember the card this keeper just scanned and ask for its PIN."""
    session["card_read"] = [current_user.id, card_id, int(time.time())]
    return redirect(url_for(".card_pin"))


def scanned_card() -> Optional[int]:
    """The card this keeper scanned in the last READ_SECONDS, or None."""
    found = session.get("card_read")
    try:
        user_id, card_id, at = found
    except (TypeError, ValueError):
        return None
    if user_id != current_user.id or time.time() - at > READ_SECONDS:
        return None
    return card_id
