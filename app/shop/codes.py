"""Payment codes (付款码): issued to a household, shown as a QR and a 12-digit number, used once.

Only hashes are stored: SHA-256 of the QR's secret (128 random bits, so no salt is needed) and
an HMAC of the 12-digit number under the app's secret key (a bare hash of 10^12 numbers could be
reversed). A code is valid for about a minute; when a shop keeper reads it, it is held for that
keeper's basket for a few minutes more. Claiming it for a sale is one conditional UPDATE in the
sale's transaction, so a code pays once however many counters race for it. Used, expired,
revoked and unknown codes all get the same answer.
"""
import base64
import hashlib
import hmac
import io
import secrets
from datetime import UTC, datetime, timedelta
from typing import Optional

import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app import audit
from app.access import permissions, scope
from app.database import transaction
from app.errors import Conflict
from app.extensions import db
from app.fast import Prepared
from app.models import User
from app.models.shop import PaymentCode
from app.typed_codes import typed_number

PREFIX = "P1"  # what a payment code's QR starts with (cards and vouchers get their own)
codes_table = PaymentCode.__table__


class CodeInvalid(Conflict):
    """A used, expired, revoked or unknown code: the same answer for each, so nothing leaks."""

    code = "code_invalid"


def invalid() -> CodeInvalid:
    """The one error for every code that cannot pay."""
    return CodeInvalid(_("This code cannot be used: it is used, expired or unknown. "
                         "Ask the household to show a new code."))


def _seconds(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _number_hash(number: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"pay-number:" + number.encode(), hashlib.sha256).hexdigest()


def hash_of(text: str) -> tuple[sa.ColumnElement, str]:
    """The column and hash that find a code from what was scanned or typed."""
    number = typed_number(text)
    if number:
        return codes_table.c.number_hash, _number_hash(number)
    return codes_table.c.secret_hash, _secret_hash((text or "").strip())


def qr_data_uri(payload: str) -> str:
    """A QR code of `payload` as an SVG data URI: error correction M, a quiet zone of 4 modules."""
    image = qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathFillImage,
                        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@transaction()
def issue(actor: User) -> dict:
    """A new payment code for the actor's household: {secret, number, expires_at, qr}.

    The secret and number are returned once and never stored in the clear.
    """
    permissions.require(actor, "shop.pay")
    household = scope.own_household_or_404(actor)
    secret = PREFIX + secrets.token_urlsafe(16)  # 128 random bits
    number = f"{secrets.randbelow(10 ** 12):012d}"
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=_seconds("PAY_CODE_SECONDS", 60))
    db.session.add(PaymentCode(household_id=household.id, secret_hash=_secret_hash(secret),
                               number_hash=_number_hash(number), created_at=now,
                               expires_at=expires_at))
    db.session.flush()
    return {"secret": secret, "number": number, "expires_at": expires_at, "qr": qr_data_uri(secret)}


@transaction()
def revoke_all(actor: User) -> int:
    """Revoke every unused code of the actor's household (a lost phone); returns how many."""
    permissions.require(actor, "shop.pay")
    household = scope.own_household_or_404(actor)
    now = datetime.now(UTC)
    result = db.session.execute(codes_table.update().where(
        codes_table.c.household_id == household.id, codes_table.c.used_at.is_(None),
        codes_table.c.revoked_at.is_(None), codes_table.c.expires_at > now).values(revoked_at=now))
    audit.record("shop.codes_revoked", f"household:{household.id}", str(result.rowcount), actor)
    return result.rowcount


def _usable(column, value, actor: User, now: datetime):
    """The WHERE clause of a code that may still pay at this actor's counter."""
    return _usable_where(column, value, actor.id, now)


def _usable_where(column, value, actor_id, now):
    """_usable() for values or bind parameters (the counter's statements are built once)."""
    return sa.and_(column == value, codes_table.c.used_at.is_(None),
                   codes_table.c.revoked_at.is_(None), codes_table.c.expires_at > now,
                   sa.or_(codes_table.c.held_by.is_(None), codes_table.c.held_by == actor_id))


def _claim_statement(column, held: bool = False) -> sa.Update:
    where = _usable_where(column, sa.bindparam("key"), sa.bindparam("actor"), sa.bindparam("now"))
    if held:
        where = sa.and_(where, codes_table.c.held_by == sa.bindparam("actor"))
    return (codes_table.update().where(where).values(used_at=sa.bindparam("now"))
            .returning(codes_table.c.id, codes_table.c.household_id))


# Claiming a code is the counter's hottest statement: built once, run with parameters.
_CLAIM = {"secret_hash": Prepared(_claim_statement(codes_table.c.secret_hash)),
          "number_hash": Prepared(_claim_statement(codes_table.c.number_hash))}
_CLAIM_HELD = Prepared(_claim_statement(codes_table.c.id, held=True))


@transaction()
def hold(actor: User, text: str) -> PaymentCode:
    """A shop keeper read a code: hold it for their basket for a few minutes, or CodeInvalid.

    The household's own checks (village, active) come at checkout, inside the sale.
    """
    column, value = hash_of(text)
    now = datetime.now(UTC)
    until = now + timedelta(seconds=_seconds("BASKET_HOLD_SECONDS", 600))
    held = db.session.execute(codes_table.update().where(_usable(column, value, actor, now))
                              .values(held_by=actor.id, expires_at=until))
    if held.rowcount != 1:
        raise invalid()
    return db.session.scalar(sa.select(PaymentCode).where(column == value)
                             .execution_options(populate_existing=True))


def held_code(actor: User, code_id: int) -> PaymentCode:
    """A code this shop keeper holds and that can still pay, or CodeInvalid."""
    now = datetime.now(UTC)
    code = db.session.scalar(sa.select(PaymentCode).where(
        _usable(codes_table.c.id, code_id, actor, now), codes_table.c.held_by == actor.id))
    if code is None:
        raise invalid()
    return code


def household_of(text: str) -> Optional[int]:
    """The household of a code that could still pay, or None. Reading only: identifying a
    household (at a meeting's desk) does not spend its code, which it may still pay with."""
    column, value = hash_of(text)
    return db.session.scalar(sa.select(codes_table.c.household_id).where(
        column == value, codes_table.c.used_at.is_(None), codes_table.c.revoked_at.is_(None),
        codes_table.c.expires_at > datetime.now(UTC)))


def _claim(statement: Prepared, key, actor: User) -> tuple:
    """One conditional UPDATE: of many concurrent claims of one code exactly one gets the row."""
    claimed = statement.run({
        "key": key, "actor": actor.id, "now": datetime.now(UTC)}).first()
    if claimed is None:
        raise invalid()
    return claimed


def claim(actor: User, text: str) -> tuple:
    """Mark a code used inside the sale's transaction: its (id, household_id), or CodeInvalid."""
    column, value = hash_of(text)
    return _claim(_CLAIM[column.name], value, actor)


def claim_held(actor: User, code_id: int) -> tuple:
    """Mark a code this keeper holds used inside the sale's transaction: (id, household_id)."""
    return _claim(_CLAIM_HELD, code_id, actor)
