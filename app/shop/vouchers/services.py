"""Order ahead (兑换券): a household holds points and stock for a voucher, redeemed once at the
counter; the household or the shop can cancel it, and unredeemed ones expire (a job).

Points are held by a redemption entry made at order time; cancelling or expiry reverses it.
Stock is held by `reserved` movements; pickup turns them into `redeemed` ones, cancelling and
expiry `released` ones. Every state change is one conditional UPDATE from `held`, so a voucher
is redeemed, cancelled or expired once, whichever request or job gets there first.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.access import permissions, scope
from app.database import transaction
from app.errors import Conflict
from app.extensions import db
from app.jobs import job
from app.ledger.services import release_hold_entry
from app.models import Household, User
from app.models.shop import Redemption, RedemptionLine, Voucher, VoucherLine
from app.shop import checkout, codes, stock
from app.shop.catalogue import services as catalogue

PREFIX = "V1"
vouchers_table = Voucher.__table__


def _mac(nonce: str, purpose: str) -> bytes:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"voucher-{purpose}:{nonce}".encode(), hashlib.sha256).digest()


def secret_of(voucher: Voucher) -> str:
    """What the voucher's QR carries (128 bits derived from its nonce)."""
    return PREFIX + base64.urlsafe_b64encode(_mac(voucher.nonce, "qr")[:16]).decode().rstrip("=")


def number_of(voucher: Voucher) -> str:
    """The voucher's 12-digit number for typing."""
    return f"{int.from_bytes(_mac(voucher.nonce, 'number')[:8], 'big') % 10 ** 12:012d}"


def find(text: str) -> Optional[Voucher]:
    """The voucher a scanned or typed code names, in any state, or None."""
    number = codes.typed_number(text)
    if number:
        column, value = vouchers_table.c.number_hash, codes._number_hash(number)
    else:
        column, value = vouchers_table.c.secret_hash, hashlib.sha256((text or "").strip().encode()).hexdigest()
    return db.session.scalar(sa.select(Voucher).where(column == value))


def _stored(actor: User, items=None, idempotency_key: Optional[str] = None,
            shop_id: Optional[int] = None, **_ignored):
    """The voucher an earlier request with this key placed, or None. A key names one order: the
    same key with another basket or shop is a Conflict (as the API's sales answer), never the
    first voucher passed off as the second order."""
    if not idempotency_key:
        return None
    voucher = db.session.scalar(sa.select(Voucher).where(Voucher.idempotency_key == idempotency_key,
                                                         Voucher.created_by == actor.id))
    if voucher is not None and items is not None:
        lines = dict(db.session.execute(sa.select(VoucherLine.product_id, VoucherLine.quantity)
                                        .where(VoucherLine.voucher_id == voucher.id)).all())
        if lines != checkout.quantities(items) or (shop_id is not None and shop_id != voucher.shop_id):
            raise Conflict(_("This order was already placed with a different basket. Open the "
                             "order page again to place a new order."), code="idempotency_key_reused")
    return voucher


@transaction(replay=_stored)
def order(actor: User, items: Iterable, idempotency_key: Optional[str] = None,
          shop_id: Optional[int] = None) -> Voucher:
    """A household orders ahead at one of the shops serving its village (its own village's by
    default): points and stock are held until pickup, cancel or expiry."""
    permissions.require(actor, "shop.pay")
    stored = _stored(actor, items, idempotency_key=idempotency_key, shop_id=shop_id)
    if stored:
        return stored
    household = scope.own_household_or_404(actor)
    shop = catalogue.shop_for(actor, shop_id)
    wanted = checkout.quantities(items)
    products = checkout.products_for(shop.id, wanted)
    cost = sum(products[p].points * q for p, q in wanted.items())
    nonce = secrets.token_hex(16)
    now = datetime.now(UTC)
    voucher = Voucher(shop_id=shop.id, household_id=household.id, nonce=nonce, points=cost,
                      status="held", idempotency_key=idempotency_key, created_by=actor.id,
                      created_at=now, expires_at=now + timedelta(days=shop.voucher_days),
                      secret_hash="", number_hash="")
    voucher.secret_hash = hashlib.sha256(secret_of(voucher).encode()).hexdigest()
    voucher.number_hash = codes._number_hash(number_of(voucher))
    db.session.add(voucher)
    db.session.flush()
    note = "、".join(f"{products[p].name}×{q}" for p, q in wanted.items())
    voucher.entry_id, _balance = checkout.debit(actor, household, cost, ("voucher", voucher.id), note)
    for product_id in sorted(wanted):
        stock.move(actor, products[product_id], "reserved", -wanted[product_id],
                   note=_("Voucher %(id)d", id=voucher.id))
        db.session.add(VoucherLine(voucher_id=voucher.id, product_id=product_id,
                                   quantity=wanted[product_id], points=products[product_id].points))
    db.session.flush()
    return voucher


def _close(voucher: Voucher, status: str, actor: Optional[User], now: datetime,
           also: Optional[sa.ColumnElement] = None) -> bool:
    """Move a held voucher to `status`; False when it was no longer held (someone was first)."""
    condition = sa.and_(vouchers_table.c.id == voucher.id, vouchers_table.c.status == "held")
    if also is not None:
        condition = sa.and_(condition, also)
    done = db.session.execute(vouchers_table.update().where(condition).values(
        status=status, closed_at=now, closed_by=actor.id if actor else None))
    return done.rowcount == 1


def _release(actor: Optional[User], voucher: Voucher, reason: str) -> None:
    """Points and stock held for the voucher go back (actor None: the expiry job)."""
    release_hold_entry(actor, voucher.entry_id, reason)
    for line in voucher.lines:
        stock.move(actor, line.product, "released", line.quantity, note=reason)


@transaction()
def cancel(actor: User, voucher_id: int) -> Voucher:
    """The household or the shop cancels a held voucher: points and stock come back."""
    voucher = scope.voucher_for(actor, voucher_id)
    permissions.require(actor, "shop.voucher_cancel", voucher)
    if not _close(voucher, "cancelled", actor, datetime.now(UTC)):
        raise Conflict(_("This voucher is no longer open."), code="voucher_closed")
    _release(actor, voucher, _("Voucher %(id)d cancelled", id=voucher.id))
    db.session.refresh(voucher)
    return voucher


@transaction()
def redeem(actor: User, voucher_id: int) -> Redemption:
    """The shop keeper hands over a held, unexpired voucher's goods: a redemption, once."""
    voucher = db.session.get(Voucher, voucher_id)
    shop = actor.shop
    permissions.require(actor, "shop.checkout", shop)
    if voucher is None or voucher.shop_id != shop.id:
        raise codes.invalid()
    now = datetime.now(UTC)
    if not _close(voucher, "redeemed", actor, now, vouchers_table.c.expires_at > now):
        raise codes.invalid()
    balance = db.session.scalar(sa.select(Household.balance).where(Household.id == voucher.household_id))
    sale = Redemption(shop_id=shop.id, household_id=voucher.household_id, points=voucher.points,
                      balance_after=balance, entry_id=voucher.entry_id, actor_id=actor.id,
                      created_at=now)
    db.session.add(sale)
    db.session.flush()
    for line in voucher.lines:
        stock.move(actor, line.product, "released", line.quantity, redemption_id=sale.id)
        stock.move(actor, line.product, "redeemed", -line.quantity, redemption_id=sale.id)
        db.session.add(RedemptionLine(redemption_id=sale.id, product_id=line.product_id,
                                      quantity=line.quantity, points=line.points))
    db.session.execute(vouchers_table.update().where(vouchers_table.c.id == voucher.id)
                       .values(redemption_id=sale.id))
    db.session.flush()
    return sale


def expire_one(voucher_id: int, now: datetime) -> bool:
    """Expire one voucher whose time is up, giving points and stock back; False if not due or done."""
    with transaction():
        voucher = db.session.get(Voucher, voucher_id)
        if voucher is None:
            return False
        if not _close(voucher, "expired", None, now, vouchers_table.c.expires_at <= now):
            return False
        _release(None, voucher, _("Voucher %(id)d expired", id=voucher.id))
        return True


@job("shop-expire-vouchers", every=None)
def expire_vouchers(now: datetime) -> str:
    """Expire every held voucher past its date; safe to run twice at once (each expires once)."""
    due = db.session.scalars(sa.select(Voucher.id).where(Voucher.status == "held",
                                                         Voucher.expires_at <= now)).all()
    expired = sum(expire_one(voucher_id, now) for voucher_id in due)
    return f"{expired} voucher(s) expired"


def of_household(user: User, limit: int = 50) -> list[Voucher]:
    """The signed-in household's newest vouchers."""
    household = scope.own_household_or_404(user)
    return list(db.session.scalars(sa.select(Voucher).where(Voucher.household_id == household.id)
                                   .order_by(Voucher.id.desc()).limit(limit)))
