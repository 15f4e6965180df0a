"""Printed household cards (户卡) with a PIN, for villagers without a phone.

The card's QR carries "K1" and 128 bits derived from a random nonce under the app's secret key
(never the household id); the database keeps only its SHA-256, so the committee can print a card
again but the table alone cannot. Paying with a card always needs the household's 6-digit PIN,
typed on the shop keeper's phone: each try is first counted by one conditional UPDATE (so racing
counters never get a sixth try), then checked; five wrong tries lock the card and tell the village
committee through the outbox. A right PIN opens an ordinary payment code held for that keeper, so
the basket and the one-transaction checkout are the payment code's own; its secret is never shown,
so the basket cannot be reached without the PIN. Reissuing revokes the old card.
"""
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from app import audit, events
from app.access import permissions, scope
from app.database import transaction
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.models import Household, User
from app.models.shop import HouseholdCard, PaymentCode, Redemption
from app.shop import codes

PREFIX = "K1"
MAX_TRIES = 5
MAX_BATCH = 1000  # households in one bulk issue (a grid, or a village of up to about 1000)
# The PIN is peppered with the app's secret key before hashing, so a copy of the database alone
# cannot try the million PINs; the lockout, not the hash's cost, is what stops guessing at the
# counter, and a lighter hash lets a village's cards be issued in one request.
PIN_HASH = "pbkdf2:sha256:20000"
cards_table = HouseholdCard.__table__


class CardInvalid(Conflict):
    """A locked, revoked, forged or other village's card: one answer for all."""

    code = "card_invalid"


class WrongPin(Conflict):
    """A wrong PIN; it was counted."""

    code = "wrong_pin"


def invalid() -> CardInvalid:
    """The one error for every card that cannot be used here."""
    return CardInvalid(_("This card cannot be used: it is locked, replaced or not of this "
                         "village. The household should ask the village committee."))


@dataclass
class PinSlip:
    """What one printed PIN slip shows: the household and its new PIN (shown once)."""

    household: Household
    pin: str


def _mac(nonce: str) -> bytes:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"card-qr:{nonce}".encode(), hashlib.sha256).digest()


def secret_of(card: HouseholdCard) -> str:
    """What the card's QR carries."""
    return PREFIX + base64.urlsafe_b64encode(_mac(card.nonce)[:16]).decode().rstrip("=")


def _secret_hash(text: str) -> str:
    return hashlib.sha256((text or "").strip().encode()).hexdigest()


def _pin_key(pin: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"card-pin:{pin}".encode(), hashlib.sha256).hexdigest()


def _new_pin() -> str:
    return f"{secrets.randbelow(10 ** 6):06d}"


def find(text: str) -> Optional[HouseholdCard]:
    """The card a scanned text names, in any state, or None."""
    if not (text or "").strip().startswith(PREFIX):
        return None
    return db.session.scalar(sa.select(HouseholdCard).where(
        HouseholdCard.secret_hash == _secret_hash(text)))


_CARD_OF = sa.select(HouseholdCard).where(  # built once: /me asks on every visit
    HouseholdCard.household_id == sa.bindparam("household_id"), HouseholdCard.status != "revoked")


def card_of(household_id: int) -> Optional[HouseholdCard]:
    """The household's card in use (active or locked), or None."""
    return db.session.scalar(_CARD_OF, {"household_id": household_id})


def household_for_card(actor: User, text: str) -> Household:
    """The household of an active card in the actor's scope, without a PIN (CardInvalid).

    For checking a household in by its card (meetings), never for paying.
    """
    card = find(text)
    if card is None or card.status != "active":
        raise invalid()
    household = db.session.scalar(scope.households_query(actor).where(
        Household.id == card.household_id, Household.active.is_(True)))
    if household is None:
        raise invalid()
    return household


# The committee: issue, reissue, unlock, new PIN.

def new_card(household: Household, pin: str, actor: Optional[User]) -> HouseholdCard:
    """A new active card with this PIN for the household (the caller revokes any old one)."""
    nonce = secrets.token_hex(16)
    card = HouseholdCard(household_id=household.id, nonce=nonce, status="active",
                         secret_hash="", pin_hash=generate_password_hash(_pin_key(pin), PIN_HASH),
                         issued_by=actor.id if actor else None, issued_at=datetime.now(UTC))
    card.secret_hash = _secret_hash(secret_of(card))
    db.session.add(card)
    return card


def _revoke_in_use(household_ids: list[int], now: datetime) -> int:
    if not household_ids:
        return 0
    done = db.session.execute(cards_table.update().where(
        cards_table.c.household_id.in_(household_ids), cards_table.c.status != "revoked")
        .values(status="revoked", revoked_at=now))
    return done.rowcount


def households_of(actor: User, village_id: int, grid_id: Optional[int] = None) -> list[Household]:
    """The active households of a village (or one of its grids) whose cards the actor manages."""
    permissions.require(actor, "shop.cards", village_id)
    query = sa.select(Household).where(Household.village_id == village_id,
                                       Household.active.is_(True))
    if grid_id is not None:
        query = query.where(Household.grid_id == grid_id)
    return list(db.session.scalars(query.order_by(Household.number, Household.id)))


@transaction()
def issue_cards(actor: User, village_id: int, grid_id: Optional[int] = None,
                reissue: bool = False) -> list[PinSlip]:
    """New cards and PINs for a village's (or grid's) households, in one transaction.

    Without `reissue` only households without a card in use get one; with it every household gets
    a new card and the old ones are revoked. The PINs are returned once, for the PIN slips.
    """
    households = households_of(actor, village_id, grid_id)
    if len(households) > MAX_BATCH:
        raise InvalidInput(_("Too many households at once: choose a grid."))
    now = datetime.now(UTC)
    if reissue:
        _revoke_in_use([h.id for h in households], now)
    else:
        having = set(db.session.scalars(sa.select(HouseholdCard.household_id).where(
            HouseholdCard.household_id.in_([h.id for h in households]),
            HouseholdCard.status != "revoked")))
        households = [h for h in households if h.id not in having]
    slips = [PinSlip(h, _new_pin()) for h in households]
    for slip in slips:
        new_card(slip.household, slip.pin, actor)
    db.session.flush()
    audit.record("shop.cards_issued", f"village:{village_id}",
                 f"grid={grid_id} reissue={reissue} count={len(slips)}", actor)
    return slips


def _managed_card(actor: User, card_id: int) -> HouseholdCard:
    card = db.session.get(HouseholdCard, card_id)
    if card is None or card.status == "revoked" \
            or not permissions.may(actor, "shop.cards", card.household.village_id):
        raise NotFound(_("This card does not exist."))
    return card


@transaction()
def reissue(actor: User, household_id: int) -> PinSlip:
    """A new card and PIN for one household (a lost card); the old card is revoked."""
    household = db.session.get(Household, household_id)
    if household is None or not household.active \
            or not permissions.may(actor, "shop.cards", household.village_id):
        raise NotFound(_("This household does not exist."))
    _revoke_in_use([household.id], datetime.now(UTC))
    slip = PinSlip(household, _new_pin())
    new_card(household, slip.pin, actor)
    db.session.flush()
    audit.record("shop.card_reissued", f"household:{household.id}", "", actor)
    return slip


@transaction()
def unlock(actor: User, card_id: int) -> HouseholdCard:
    """Unlock a locked card and reset its count of wrong PINs."""
    card = _managed_card(actor, card_id)
    db.session.execute(cards_table.update().where(
        cards_table.c.id == card.id, cards_table.c.status != "revoked")
        .values(status="active", failed_pins=0, locked_at=None))
    audit.record("shop.card_unlocked", f"household:{card.household_id}", f"card:{card.id}", actor)
    db.session.refresh(card)
    return card


@transaction()
def set_pin(actor: User, card_id: int, reason: str) -> PinSlip:
    """A new random PIN for a card (forgotten PIN); unlocks it and resets the count.

    Whoever knows the PIN can spend the household's points, so a reset needs a reason, is kept on
    the card (when, by whom, why) and is told to the household: a notification, and a line on its
    next receipt at the shop."""
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise InvalidInput(_("Say why the PIN is reset: the household is told."), code="reason_required")
    card = _managed_card(actor, card_id)
    pin, now = _new_pin(), datetime.now(UTC)
    db.session.execute(cards_table.update().where(
        cards_table.c.id == card.id, cards_table.c.status != "revoked")
        .values(status="active", failed_pins=0, locked_at=None,
                pin_hash=generate_password_hash(_pin_key(pin), PIN_HASH),
                pin_reset_at=now, pin_reset_by_id=actor.id, pin_reset_reason=reason))
    audit.record("shop.card_pin_set", f"household:{card.household_id}", f"card:{card.id} {reason}"[:500],
                 actor)
    events.emit("card.pin_reset", {"card_id": card.id, "household_id": card.household_id,
                                   "by": actor.display_name or actor.username,
                                   "at": now.isoformat(), "reason": reason})
    db.session.refresh(card)
    return PinSlip(card.household, pin)


@dataclass
class PinReset:
    """A card's last PIN reset as a receipt or the card page tells it."""

    at: datetime
    by: str
    reason: str


def last_pin_reset(card: Optional[HouseholdCard]) -> Optional[PinReset]:
    """When, by whom and why the card's PIN was last reset, or None."""
    if card is None or card.pin_reset_at is None:
        return None
    who = card.pin_reset_by
    return PinReset(card.pin_reset_at, (who.display_name or who.username) if who else "",
                    card.pin_reset_reason)


def pin_reset_for_receipt(redemption) -> Optional[PinReset]:
    """The PIN reset a receipt must tell: the household's card PIN was reset before this sale and
    no sale of the household came between (the first receipt after a reset says so)."""
    card = db.session.scalar(sa.select(HouseholdCard).where(
        HouseholdCard.household_id == redemption.household_id,
        HouseholdCard.pin_reset_at.is_not(None), HouseholdCard.pin_reset_at <= redemption.created_at)
        .order_by(HouseholdCard.pin_reset_at.desc()).limit(1))
    if card is None:
        return None
    between = db.session.scalar(sa.select(Redemption.id).where(
        Redemption.household_id == redemption.household_id, Redemption.id != redemption.id,
        Redemption.created_at >= card.pin_reset_at, Redemption.created_at < redemption.created_at)
        .limit(1))
    return None if between is not None else last_pin_reset(card)


# The counter: read the card, then the PIN.

def read(actor: User, text: str) -> HouseholdCard:
    """A shop keeper scanned a card: it must be active and of this shop's village (CardInvalid)."""
    permissions.require(actor, "shop.checkout", actor.shop)
    card = find(text)
    if card is None or card.status != "active" or not card.household.active \
            or card.household.village_id != actor.shop.village_id:
        raise invalid()
    return card


def scanned_household(actor: User, card_id: int) -> Household:
    """The household of the card this keeper scanned, for the PIN page (CardInvalid)."""
    card = db.session.get(HouseholdCard, card_id)
    if card is None or card.household.village_id != actor.shop.village_id:
        raise invalid()
    return card.household


@transaction()
def _try_pin(actor: User, card_id: int, pin: str) -> tuple[str, object]:
    """Count the try, then check the PIN; ("ok", code), ("wrong", tries left) or ("locked", 0)."""
    permissions.require(actor, "shop.checkout", actor.shop)
    here = sa.select(Household.id).where(Household.village_id == actor.shop.village_id,
                                         Household.active.is_(True))
    counted = db.session.execute(cards_table.update().where(
        cards_table.c.id == card_id, cards_table.c.status == "active",
        cards_table.c.household_id.in_(here), cards_table.c.failed_pins < MAX_TRIES)
        .values(failed_pins=cards_table.c.failed_pins + 1)
        .returning(cards_table.c.failed_pins, cards_table.c.pin_hash,
                   cards_table.c.household_id)).first()
    if counted is None:
        return "invalid", 0
    household = db.session.get(Household, counted.household_id)
    if check_password_hash(counted.pin_hash, _pin_key(pin or "")):
        db.session.execute(cards_table.update().where(cards_table.c.id == card_id)
                           .values(failed_pins=0))
        return "ok", _open_code(actor, card_id, household.id)
    audit.record("shop.card_wrong_pin", f"household:{household.id}",
                 f"card:{card_id} try={counted.failed_pins}", actor)
    if counted.failed_pins < MAX_TRIES:
        return "wrong", MAX_TRIES - counted.failed_pins
    db.session.execute(cards_table.update().where(cards_table.c.id == card_id)
                       .values(status="locked", locked_at=datetime.now(UTC)))
    events.emit("card.locked", {"card_id": card_id, "household_id": household.id,
                                "village_id": household.village_id})
    return "locked", 0


def _open_code(actor: User, card_id: int, household_id: int) -> PaymentCode:
    """A payment code held for this keeper's basket; its secret is never shown to anyone."""
    now = datetime.now(UTC)
    seconds = int(current_app.config.get("BASKET_HOLD_SECONDS", 600))
    code = PaymentCode(household_id=household_id, card_id=card_id, held_by=actor.id,
                       secret_hash=codes._secret_hash(secrets.token_urlsafe(32)),
                       number_hash=codes._number_hash(secrets.token_hex(16)),
                       created_at=now, expires_at=now + timedelta(seconds=seconds))
    db.session.add(code)
    db.session.flush()
    return code


def open_with_pin(actor: User, card_id: int, pin: str) -> PaymentCode:
    """The PIN step: a held payment code for the basket, or WrongPin / CardInvalid.

    The try is committed before the error is raised, so a wrong PIN always counts.
    """
    outcome, value = _try_pin(actor, card_id, pin)
    if outcome == "ok":
        return value
    if outcome == "wrong":
        raise WrongPin(_("Wrong PIN. %(left)d tries left before the card is locked.", left=value))
    if outcome == "locked":
        raise CardInvalid(_("Wrong PIN five times: the card is now locked. The village committee "
                            "has been told and can unlock it."), code="card_locked")
    raise invalid()
