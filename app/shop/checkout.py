"""A sale at the counter, all in one transaction; and its void.

sell(): claim the payment code (one conditional UPDATE), debit the points through the
ledger (never below zero), take each product's stock (never below zero), write the redemption,
its lines and the stock movements (checkout() is the same, answered with the stored redemption). Any failure rolls all of it back, with a message that names
the product or the points missing. An idempotency key (made when the basket opens) turns a
double tap or a resent request into the first sale's answer.
"""
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, datetime
from typing import Callable, Iterable, Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit
from app.access import permissions, scope
from app.database import transaction
from app.errors import Conflict, DomainError, InsufficientPoints, InvalidInput, NotAllowed, NotFound
from app.extensions import db
from app.fast import Prepared
from app.health import metrics
from app.ledger.services import reverse_entry, spend_entry
from app.models import Household, User
from app.models.shop import Product, Redemption, RedemptionLine
from app.shop import codes, stock

MAX_QUANTITY = 999
redemptions_table = Redemption.__table__
lines_table = RedemptionLine.__table__
products_table = Product.__table__
households_table = Household.__table__


def _stored(actor: User, idempotency_key: Optional[str] = None, **_ignored) -> Optional[Redemption]:
    """The sale an earlier request with this key made (at this actor's shop), if any."""
    if not idempotency_key:
        return None
    found = db.session.scalar(sa.select(Redemption)
                              .where(Redemption.idempotency_key == idempotency_key)
                              .execution_options(populate_existing=True))
    if found is not None and found.shop_id != actor.shop_id:
        raise Conflict(_("This request key was already used."), code="idempotency_key_reused")
    return found


@dataclass(frozen=True)
class Sale:
    """What a checkout answers: the redemption, its lines {product id: quantity}, and whether it
    is an earlier request's sale answered again (`replayed`: the caller compares the request)."""

    id: int
    household_id: int
    points: int
    balance_after: int
    payment_code_id: Optional[int]
    lines: dict[int, int]
    replayed: bool = False

    @classmethod
    def of(cls, redemption: Redemption) -> "Sale":
        return cls(redemption.id, redemption.household_id, redemption.points,
                   redemption.balance_after, redemption.payment_code_id,
                   {line.product_id: line.quantity for line in redemption.lines}, replayed=True)


def _stored_sale(actor: User, idempotency_key: Optional[str] = None, **_ignored) -> Optional[Sale]:
    stored = _stored(actor, idempotency_key)
    return Sale.of(stored) if stored else None


def quantities(items: Iterable) -> dict[int, int]:
    """{product_id: quantity} from [(product_id, quantity)] or [{"product_id", "quantity"}]."""
    wanted: dict[int, int] = {}
    try:
        for item in items or []:
            product_id, quantity = ((item["product_id"], item["quantity"]) if isinstance(item, dict)
                                    else item)
            if isinstance(quantity, bool) or not isinstance(quantity, int) \
                    or isinstance(product_id, bool) or not isinstance(product_id, int):
                raise TypeError
            if quantity < 0 or quantity > MAX_QUANTITY:
                raise InvalidInput(_("A quantity must be between 1 and %(max)d.", max=MAX_QUANTITY))
            if quantity:
                wanted[product_id] = wanted.get(product_id, 0) + quantity
    except (TypeError, ValueError, KeyError):
        raise InvalidInput(_("The basket could not be read.")) from None
    if not wanted:
        raise InvalidInput(_("The basket is empty: add at least one product."))
    return wanted


@lru_cache(maxsize=32)
def _products(count: int) -> Prepared:
    """The statement reading a basket of `count` different products (ids id0, id1...)."""
    return Prepared(sa.select(products_table.c.id, products_table.c.shop_id, products_table.c.name,
                              products_table.c.points, products_table.c.active).where(
        products_table.c.id.in_([sa.bindparam(f"id{i}") for i in range(count)]),
        products_table.c.shop_id == sa.bindparam("shop")))


def products_for(shop_id: int, wanted: dict[int, int]) -> dict[int, tuple]:
    """The shop's products in a basket (rows of id, shop_id, name, points, active); refuses
    products of other shops and ones not on sale."""
    ids = {f"id{i}": product_id for i, product_id in enumerate(wanted)}
    found = {p.id: p for p in _products(len(ids)).run({**ids, "shop": shop_id})}
    for product_id in wanted:
        product = found.get(product_id)
        if product is None:
            raise InvalidInput(_("A product in the basket is not sold here."))
        if not product.active:
            raise DomainError(_("%(name)s is not on sale.", name=product.name), code="not_on_sale")
    return found


def debit(actor: User, household, cost: int, ref: tuple[str, int], note: str,
          refusal: Optional[Callable[[], NotAllowed]] = None) -> tuple[int, int]:
    """Spend the points through the ledger: (entry id, balance after); too few says how many
    are missing. `household` is a Household or a row of its id, village_id, active, number and
    head_name."""
    try:
        return spend_entry(actor, household, cost, ref=ref, note=note, refusal=refusal)
    except InsufficientPoints:
        balance = db.session.scalar(sa.select(Household.balance).where(Household.id == household.id))
        raise InsufficientPoints(_(
            "%(name)s has %(balance)d points; this basket needs %(cost)d: %(missing)d points missing.",
            name=household.head_name, balance=balance, cost=cost, missing=cost - balance)) from None


def _other_village() -> NotAllowed:
    return NotAllowed(_("This household belongs to another village's shop."), code="other_village")


# The rest of a sale's statements, built once: the counter runs them all day.
_HOUSEHOLD = Prepared(sa.select(households_table.c.id, households_table.c.village_id,
                                households_table.c.active, households_table.c.number,
                                households_table.c.head_name)
                      .where(households_table.c.id == sa.bindparam("id")))
_NEW_SALE = Prepared(redemptions_table.insert().returning(redemptions_table.c.id))
_NEW_LINES = Prepared(lines_table.insert())
_SALE_DONE = Prepared(redemptions_table.update().where(redemptions_table.c.id == sa.bindparam("sale"))
                      .values(entry_id=sa.bindparam("entry"), balance_after=sa.bindparam("balance")))


@transaction(replay=_stored_sale)
def sell(actor: User, items: Iterable, idempotency_key: Optional[str] = None,
         code: Optional[str] = None, code_id: Optional[int] = None) -> Sale:
    """Sell a basket to the household whose payment code was read (`code`, or a held `code_id`).

    The counter's hot path, written as the few statements it needs: claim the code, read the
    household and the products, write the redemption, debit, take the stock, write the lines.
    A key seen before is caught by its unique index (the transaction then answers with the
    stored sale), or, when its code was already spent, by looking it up.
    """
    if idempotency_key and len(idempotency_key) > 100:
        raise InvalidInput(_("The request key is too long."))
    shop = actor.shop
    permissions.require(actor, "shop.checkout", shop)
    wanted = quantities(items)
    try:
        paycode = codes.claim_held(actor, code_id) if code_id else codes.claim(actor, code or "")
    except codes.CodeInvalid:
        stored = _stored_sale(actor, idempotency_key)  # a resent request that waited for the first
        if stored:
            return stored
        raise
    household = _HOUSEHOLD.run({"id": paycode.household_id}).one()
    products = products_for(shop.id, wanted)
    cost = sum(products[p].points * q for p, q in wanted.items())
    redemption_id = _NEW_SALE.run({
        "shop_id": shop.id, "household_id": household.id, "points": cost, "balance_after": 0,
        "payment_code_id": paycode.id, "idempotency_key": idempotency_key, "actor_id": actor.id,
        "created_at": datetime.now(UTC)}).scalar_one()
    note = "、".join(f"{products[p].name}×{q}" for p, q in wanted.items())
    entry_id, balance_after = debit(actor, household, cost, ("redemption", redemption_id), note,
                                    refusal=_other_village)
    stock.sell(actor, shop.id, products, wanted, redemption_id)
    _NEW_LINES.run([
        {"redemption_id": redemption_id, "product_id": p, "quantity": q, "points": products[p].points}
        for p, q in sorted(wanted.items())])
    _SALE_DONE.run({"sale": redemption_id, "entry": entry_id, "balance": balance_after})
    metrics.after_commit(metrics.SALES)
    return Sale(redemption_id, household.id, cost, balance_after, paycode.id, wanted)


def checkout(actor: User, items: Iterable, idempotency_key: Optional[str] = None,
             code: Optional[str] = None, code_id: Optional[int] = None) -> Redemption:
    """sell(), answered with the stored redemption (for pages and callers that read its lines)."""
    return db.session.get(Redemption, sell(actor, items, idempotency_key, code, code_id).id)


def redemption_for(user: User, redemption_id: int) -> Redemption:
    """A redemption of a shop the user may see, or NotFound."""
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None or redemption.shop_id not in {s.id for s in scope.shops_for(user)}:
        raise NotFound(_("This redemption does not exist."))
    return redemption


@transaction()
def void(actor: User, redemption_id: int, reason: str) -> Redemption:
    """Cancel a sale: the points come back by a reversal entry and the goods back into stock.

    The shop keeper may void the same day; after that only the village's committee.
    """
    redemption = redemption_for(actor, redemption_id)
    permissions.require(actor, "shop.void", redemption,
                        _("Only the village committee can void a redemption of an earlier day."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Voiding needs a reason."))
    now = datetime.now(UTC)
    done = db.session.execute(redemptions_table.update().where(
        redemptions_table.c.id == redemption.id, redemptions_table.c.voided_at.is_(None))
        .values(voided_at=now, voided_by=actor.id, void_reason=reason[:500]))
    if done.rowcount != 1:
        raise Conflict(_("This redemption has already been voided."), code="already_voided")
    reversal = reverse_entry(actor, redemption.entry_id, reason)
    db.session.execute(redemptions_table.update().where(redemptions_table.c.id == redemption.id)
                       .values(void_entry_id=reversal.id))
    for line in redemption.lines:
        stock.move(actor, line.product, "voided", line.quantity, redemption_id=redemption.id,
                   note=reason)
    audit.record("shop.void", f"redemption:{redemption.id}", reason, actor)
    db.session.refresh(redemption)
    return redemption
