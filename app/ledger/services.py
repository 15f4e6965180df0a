"""The only code that writes ledger entries and households' balance and score.

Each public function is one transaction (app.database.transaction): it commits on success and
rolls back on any error; inside a caller's transaction it joins it. The *_entry forms never
commit, for services that write points together with their own rows (a checkout, a meeting).
Balances change by relative `UPDATE households SET balance = balance + :d` in the same
transaction as the entry, never by read-then-write; unique keys (idempotency_key,
reverses_id) are the last line against replays and races.
"""
from typing import Callable, Iterable, Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit, events
from app.access import permissions
from app.database import on_postgresql, transaction
from app.errors import Conflict, DomainError, InsufficientPoints, InvalidInput, NotAllowed
from app.extensions import db
from app.fast import Prepared
from app.figures import rule_points
from app.health import metrics
from app.ledger.policy import Ref, check_limit, check_manager, check_spender, split_own
from app.ledger.reads import expected_sums
from app.models import Household, LedgerEntry, Rule, User
from app.models.base import utcnow
from app.models.ledger import SCORING_KINDS, EntryKind, RefType
from app.rankings import keep as rankings

households_table = Household.__table__
entries_table = LedgerEntry.__table__


def _keys(key: Optional[str], household_ids: Iterable[int]) -> dict[int, str]:
    """Per-household idempotency keys derived from a request's key."""
    return {h: f"{key}:{h}" for h in household_ids} if key else {}


def _unique_ids(household_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(int(h) for h in household_ids))
    if not ids:
        raise InvalidInput(_("Choose at least one household."))
    return ids


def _stored_awards(household_ids, idempotency_key=None, rule_id=None, note=None, ref=None,
                   **_ignored):
    """The entries an earlier call with this key made, in the order of household_ids; the same
    key with another rule, note or reference is a Conflict (it would otherwise report a success
    that wrote nothing)."""
    if not idempotency_key:
        return None
    keys = _keys(idempotency_key, _unique_ids(household_ids))
    # Look at every entry of this key, not only the requested households', so reusing a key
    # for a smaller or different set of households is caught.
    # A range, not LIKE, so it is an index range on both databases (';' follows ':').
    rows = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.idempotency_key >= f"{idempotency_key}:",
        LedgerEntry.idempotency_key < f"{idempotency_key};"))
    found = {e.household_id: e for e in rows
             if e.idempotency_key == f"{idempotency_key}:{e.household_id}"}
    if not found:
        return None
    if set(found) != set(keys):
        raise Conflict(_("This request key was already used for other households."))
    if rule_id is not None:
        _same_request(found.values(), rule_id=int(rule_id), note=(note or "").strip()[:500],
                      ref=tuple(ref) if ref else None)
    return [found[h] for h in keys]


def _same_request(entries, **wanted) -> None:
    """Refuse a replayed key whose body differs from what the key first recorded."""
    for entry in entries:
        stored = {"rule_id": entry.rule_id, "note": entry.note, "points": entry.points,
                  "ref": (entry.ref_type, entry.ref_id) if entry.ref_type else None}
        if any(stored[name] != value for name, value in wanted.items()):
            raise Conflict(_("This request key was already used for a different request; "
                             "use a new key for a new request."), code="idempotency_key_reused")


def _change(household_id: int, balance: int, score: int) -> None:
    db.session.execute(households_table.update().where(households_table.c.id == household_id)
                       .values(balance=households_table.c.balance + balance,
                               score=households_table.c.score + score))


def _lock_households(ids: list[int]) -> dict[int, Household]:
    # FOR UPDATE in id order: concurrent awards to overlapping sets queue instead of deadlocking,
    # and limit checks below see what the previous writer committed. (SQLite: BEGIN IMMEDIATE.)
    rows = db.session.scalars(sa.select(Household).where(Household.id.in_(ids))
                              .order_by(Household.id).with_for_update()
                              .execution_options(populate_existing=True))
    return {h.id: h for h in rows}


def award_entries(actor: User, household_ids: Iterable[int], rule_id: int, note: str,
                  idempotency_key: Optional[str] = None, ref: Ref = None,
                  photo: Optional[str] = None, village_id: Optional[int] = None,
                  deduction: Optional[bool] = None) -> list[LedgerEntry]:
    """award() without the commit, for services that award inside their own transaction.

    `village_id`, when given, is the village the caller is working in: rule and households must
    be of it. `deduction`, when given, says whether the rule must take points away or award them.
    """
    ids = _unique_ids(household_ids)
    rule = db.session.get(Rule, rule_id)
    if rule is None or not rule.active or (village_id is not None and rule.village_id != village_id):
        raise InvalidInput(_("This rule does not exist or has been retired. Nothing was recorded."),
                           code="unknown_rule")
    if deduction is not None and rule.is_deduction != deduction:
        raise InvalidInput(_("This rule awards points; it cannot be used to deduct.") if deduction
                           else _("This rule deducts points; use a deduction instead."),
                           code="wrong_rule_kind")
    note = (note or "").strip()
    if rule.is_deduction and not note:
        raise InvalidInput(_("A deduction needs a reason."))
    if idempotency_key and len(idempotency_key) > 100:
        raise InvalidInput(_("The request key is too long."))
    households = _lock_households(ids)
    stored = _stored_awards(ids, idempotency_key, rule_id=rule_id, note=note, ref=ref)
    if stored:
        return stored
    keys = _keys(idempotency_key, ids)
    kind = EntryKind.DEDUCTION if rule.is_deduction else EntryKind.AWARD
    entries = []
    for household_id in ids:
        household = households.get(household_id)
        try:
            household = check_manager(actor, household)
        except NotAllowed:
            if household is None or household.village_id != rule.village_id:
                raise NotAllowed(_("Some households are not in this village or no longer active. "
                                   "Nothing was recorded.")) from None
            raise
        if household.village_id != rule.village_id:
            raise InvalidInput(_("This rule belongs to another village."), code="foreign_rule")
        if not household.active:
            raise DomainError(_("Household %(number)s is no longer active.", number=household.number),
                              code="household_inactive")
        check_limit(rule, household, ref)
        entries.append(LedgerEntry(
            household_id=household.id, village_id=household.village_id, points=rule.points,
            kind=kind, rule_id=rule.id, ref_type=ref[0] if ref else None,
            ref_id=ref[1] if ref else None, note=note[:500], actor_id=actor.id,
            idempotency_key=keys.get(household.id), photo=photo))
    db.session.add_all(entries)
    db.session.flush()
    metrics.after_commit(metrics.AWARD_ENTRIES.labels(kind), len(entries))
    # Every household gets the same points, so one statement moves them all.
    db.session.execute(households_table.update().where(households_table.c.id.in_(ids))
                       .values(balance=households_table.c.balance + rule.points,
                               score=households_table.c.score + rule.points))
    rankings.written(entries)
    rule_points.written(entries)
    return entries


@transaction(replay=_stored_awards)
def award(actor: User, household_ids: Iterable[int], rule_id: int, note: str = "",
          idempotency_key: Optional[str] = None, ref: Ref = None,
          photo: Optional[str] = None, village_id: Optional[int] = None,
          deduction: Optional[bool] = None) -> list[LedgerEntry]:
    """Apply a rule to households, all or none; a negative rule makes deductions (note required)."""
    return award_entries(actor, household_ids, rule_id, note, idempotency_key, ref, photo,
                         village_id, deduction)


def _stored_for_others(actor, household_ids, idempotency_key=None, rule_id=None, note=None,
                       **_ignored):
    ids, own = split_own(actor, household_ids)
    stored = _stored_awards(ids, idempotency_key, rule_id=rule_id, note=note) if ids else None
    return (stored, own) if stored else None


@transaction(replay=_stored_for_others)
def award_others(actor: User, household_ids: Iterable[int], rule_id: int, note: str = "",
                 idempotency_key: Optional[str] = None, photo: Optional[str] = None,
                 village_id: Optional[int] = None,
                 deduction: Optional[bool] = None) -> tuple[list[LedgerEntry], list[int]]:
    """award() for a batch that may name the actor's own household: the rest get their entries
    and that household is left for another member of the committee; (entries, ids left).
    A batch of the own household alone is refused as award() refuses it."""
    ids, own = split_own(actor, household_ids)
    stored = _stored_for_others(actor, household_ids, idempotency_key, rule_id, note)
    if stored:
        return stored
    entries = award_entries(actor, ids or own, rule_id, note, idempotency_key, photo=photo,
                            village_id=village_id, deduction=deduction)
    for household_id in own:  # the other members see it waiting in their notifications
        events.emit("award.left_for_another", {"household_id": household_id, "rule_id": rule_id,
                                               "actor_id": actor.id})
    return entries, own


@transaction(replay=_stored_awards)
def deduct(actor: User, household_ids: Iterable[int], rule_id: int, note: str,
           idempotency_key: Optional[str] = None, ref: Ref = None,
           photo: Optional[str] = None, village_id: Optional[int] = None) -> list[LedgerEntry]:
    """Apply a deduction rule (negative points) with its reason, all or none."""
    return award_entries(actor, household_ids, rule_id, note, idempotency_key, ref, photo,
                         village_id, deduction=True)


def _stored_single(household_id, idempotency_key=None, **_ignored):
    if not idempotency_key:
        return None
    found = db.session.scalar(sa.select(LedgerEntry)
                              .where(LedgerEntry.idempotency_key == idempotency_key))
    if found is not None and found.household_id != int(household_id):
        raise Conflict(_("This request key was already used for another household."))
    return found


def _stored_adjustment(household_id, points=None, note=None, idempotency_key=None, **_ignored):
    stored = _stored_single(household_id, idempotency_key)
    if stored is not None and points is not None:
        _same_request([stored], points=points, note=(note or "").strip()[:500])
    return stored


@transaction(replay=_stored_adjustment)
def adjust(actor: User, household_id: int, points: int, note: str,
           idempotency_key: Optional[str] = None) -> LedgerEntry:
    """A committee's manual correction of balance and score, with its reason."""
    stored = _stored_adjustment(household_id, points, note, idempotency_key)
    if stored:
        return stored
    household = check_manager(actor, db.session.get(Household, household_id))
    if not isinstance(points, int) or points == 0:
        raise InvalidInput(_("An adjustment needs a whole number of points other than zero."))
    if not (note or "").strip():
        raise InvalidInput(_("An adjustment needs a reason."))
    entry = LedgerEntry(household_id=household.id, village_id=household.village_id, points=points,
                        kind=EntryKind.ADJUSTMENT, note=note.strip()[:500], actor_id=actor.id,
                        idempotency_key=idempotency_key)
    db.session.add(entry)
    db.session.flush()
    _change(household.id, points, points)
    rankings.written([entry])
    rule_points.written([entry])
    audit.record("ledger.adjust", f"household:{household.id}", f"{points:+d} {note}"[:500], actor)
    return entry


def _stored_redemption(household_id, cost, idempotency_key=None, **_ignored):
    """The redemption an earlier call with this key made; a different household or cost is a Conflict."""
    stored = _stored_single(household_id, idempotency_key)
    if stored is not None and (stored.kind != EntryKind.REDEMPTION or stored.points != -cost):
        raise Conflict(_("This request key was already used for a different payment."),
                       code="idempotency_key_reused")
    return stored


def _spendable(actor: User, household, cost: int, refusal: Optional[Callable[[], NotAllowed]] = None) -> None:
    """Refuse a spend the rules forbid: a cost that is not a whole number above zero, an actor
    who may not spend this household's points (`refusal` makes the error in the caller's words), an
    inactive household. `household` is a Household or any row with its id, village_id, active
    and number."""
    if not isinstance(cost, int) or isinstance(cost, bool) or cost <= 0:
        raise InvalidInput(_("A redemption costs a whole number of points above zero."))
    check_spender(actor, household, refusal=refusal)
    if not household.active:
        raise DomainError(_("Household %(number)s is no longer active.", number=household.number),
                          code="household_inactive")


# A spend's two statements, built once (the shop counter runs them on every sale, on the driver;
# redeem() through SQLAlchemy).
_TAKE_POINTS = Prepared(households_table.update()
                        .where(households_table.c.id == sa.bindparam("household"),
                               households_table.c.balance >= sa.bindparam("cost"))
                        .values(balance=households_table.c.balance - sa.bindparam("cost"))
                        .returning(households_table.c.balance))
_SPEND_ENTRY = Prepared(entries_table.insert().returning(entries_table.c.id))


def _debit(actor: User, household_id: int, village_id: int, cost: int, ref: Ref, note: str,
           idempotency_key: Optional[str], sale: bool = False) -> Optional[tuple[int, int]]:
    """Take the points and write the entry: (entry id, balance after), or None when the balance
    is too low. The check and the debit are one statement, so concurrent spends cannot overdraw."""
    def run(statement: Prepared, params: dict):
        return statement.run(params) if sale else statement.run_plain(params)

    balance = run(_TAKE_POINTS, {"household": household_id, "cost": cost}).scalar()
    if balance is None:
        return None
    entry_id = run(_SPEND_ENTRY, {
        "household_id": household_id, "village_id": village_id, "points": -cost,
        "kind": EntryKind.REDEMPTION.value, "ref_type": ref[0] if ref else None,
        "ref_id": ref[1] if ref else None, "note": (note or "")[:500], "actor_id": actor.id,
        "idempotency_key": idempotency_key}).scalar_one()
    return entry_id, balance


def spend_entry(actor: User, household, cost: int, ref: Ref, note: str = "",
                refusal: Optional[Callable[[], NotAllowed]] = None) -> tuple[int, int]:
    """A sale's debit inside the caller's transaction, in as few statements as the counter needs:
    (entry id, balance after). The caller has read `household` (a row will do) and keeps its
    own idempotency key; the rules are redeem_entry's."""
    _spendable(actor, household, cost, refusal)
    done = _debit(actor, household.id, household.village_id, cost, ref, note, None, sale=True)
    if done is None:
        raise InsufficientPoints(_("Not enough points: this needs %(cost)d.", cost=cost))
    return done


def redeem_entry(actor: User, household_id: int, cost: int, ref: Ref = None, note: str = "",
                 idempotency_key: Optional[str] = None) -> LedgerEntry:
    """redeem() without the commit: spend points inside the caller's transaction."""
    if idempotency_key and len(idempotency_key) > 100:
        raise InvalidInput(_("The request key is too long."))
    if not isinstance(cost, int) or isinstance(cost, bool) or cost <= 0:
        raise InvalidInput(_("A redemption costs a whole number of points above zero."))
    stored = _stored_redemption(household_id, cost, idempotency_key)
    if stored:
        return stored
    household = db.session.get(Household, household_id)
    _spendable(actor, household, cost)
    done = _debit(actor, household.id, household.village_id, cost, ref, note, idempotency_key)
    if done is None:
        # A replay that waited for the first request (PostgreSQL re-reads committed rows here)
        # answers with the first redemption rather than "too few points".
        stored = _stored_redemption(household_id, cost, idempotency_key)
        if stored:
            return stored
        raise InsufficientPoints(_("Not enough points: this needs %(cost)d.", cost=cost))
    return db.session.get(LedgerEntry, done[0])


@transaction(replay=_stored_redemption)
def redeem(actor: User, household_id: int, cost: int, ref: Ref = None, note: str = "",
           idempotency_key: Optional[str] = None) -> LedgerEntry:
    """Spend points from the balance (never below zero); the score is unchanged."""
    return redeem_entry(actor, household_id, cost, ref, note, idempotency_key)


def reverse_entry(actor: User, entry_id: int, reason: str) -> LedgerEntry:
    """reverse() without the commit, for services that reverse inside their own transaction."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise InvalidInput(_("This entry does not exist."))
    household = db.session.get(Household, entry.household_id)
    if entry.kind == EntryKind.REDEMPTION:
        check_spender(actor, household, refund=True)
    else:
        check_manager(actor, household)
    return _write_reversal(actor, entry, reason)


def _write_reversal(actor: Optional[User], entry: LedgerEntry, reason: str) -> LedgerEntry:
    """The reversing entry and the balance and score it moves, once per entry (who may has been
    decided by the caller)."""
    if entry.kind == EntryKind.REVERSAL:
        raise DomainError(_("A reversal cannot itself be reversed; make a new entry instead."))
    if not (reason or "").strip():
        raise InvalidInput(_("A reversal needs a reason."))
    if db.session.scalar(sa.select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id)):
        raise Conflict(_("This entry has already been reversed."))
    reversal = LedgerEntry(household_id=entry.household_id, village_id=entry.village_id,
                           points=-entry.points, kind=EntryKind.REVERSAL, rule_id=entry.rule_id,
                           ref_type=entry.ref_type, ref_id=entry.ref_id,
                           note=reason.strip()[:500], actor_id=actor.id if actor else None,
                           reverses_id=entry.id)
    db.session.add(reversal)
    db.session.flush()
    # A reversed redemption gives the points back to spend but never counted in the score.
    _change(entry.household_id, -entry.points,
            -entry.points if entry.kind in SCORING_KINDS else 0)
    rankings.reversed_(entry)
    rule_points.reversed_(entry)
    audit.record("ledger.reverse", f"entry:{entry.id}", reason.strip(), actor)
    return reversal


def release_hold_entry(actor: Optional[User], entry_id: int, reason: str) -> LedgerEntry:
    """Give back the points held for an order placed ahead that was never handed over (a
    cancelled or expired voucher), inside the caller's transaction.

    This is not a refund of goods received, so the household itself may do it, as may its shop
    and committee; the scheduled expiry passes no actor. The caller (app/shop/vouchers/) closes
    the voucher by a conditional UPDATE in the same transaction, and `reverses_id` is unique, so a
    hold is released at most once."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None or entry.kind != EntryKind.REDEMPTION or entry.ref_type != RefType.VOUCHER:
        raise InvalidInput(_("This entry does not exist."))
    if actor is not None:
        permissions.require(actor, "ledger.spend", db.session.get(Household, entry.household_id),
                            _("This household is not in your area."))
    return _write_reversal(actor, entry, reason)


@transaction()
def reverse(actor: User, entry_id: int, reason: str) -> LedgerEntry:
    """Cancel an entry with a reversing entry (at most once; a second time is a Conflict)."""
    return reverse_entry(actor, entry_id, reason)


def expire_balance(household_ids: Iterable[int], ref: Ref, note: str,
                   key_prefix: str) -> list[LedgerEntry]:
    """The year-end lapse inside the caller's transaction: each household's whole positive balance
    becomes an `expiry` entry and the balance drops to zero; the score is kept (an expiry is not a
    scoring kind, so neither the score nor the rankings' months move). A zero or negative balance
    is left as it is. Households are locked in id order, so the balance taken is the one at that
    moment: a sale waiting on the row then finds nothing to spend, and one that committed first
    has already lowered it. The key `<key_prefix>:<household>` is unique, so a household lapses
    once per settlement whatever the callers race."""
    ids = sorted({int(h) for h in household_ids})
    if not ids:
        return []
    done = set(db.session.scalars(sa.select(LedgerEntry.household_id).where(
        LedgerEntry.idempotency_key >= f"{key_prefix}:",
        LedgerEntry.idempotency_key < f"{key_prefix};")))
    entries = []
    for household in _lock_households(ids).values():
        amount = household.balance
        if household.id in done or amount <= 0:
            continue
        # Relative and guarded, as every debit here: never below zero, never a stale figure.
        taken = db.session.execute(
            households_table.update().where(households_table.c.id == household.id,
                                            households_table.c.balance >= amount)
            .values(balance=households_table.c.balance - amount)).rowcount
        if taken != 1:
            continue
        entries.append(LedgerEntry(
            household_id=household.id, village_id=household.village_id, points=-amount,
            kind=EntryKind.EXPIRY, ref_type=ref[0] if ref else None, ref_id=ref[1] if ref else None,
            note=(note or "")[:500], idempotency_key=f"{key_prefix}:{household.id}"))
    db.session.add_all(entries)
    db.session.flush()
    return entries


def import_entries(rows: list[dict]) -> None:
    """Bulk-insert entries for demo data and imports, then set balance and score from the ledger.

    No rule, limit or scope is checked and nothing is committed: the caller owns the transaction.
    Rows are LedgerEntry column dicts; a reversal's `reverses_id` must name an existing entry.
    """
    if not rows:
        return
    # Every row with its time, so the rankings' months are those the entries are stored with.
    now = utcnow()
    rows = [row if row.get("created_at") else {**row, "created_at": now} for row in rows]
    db.session.execute(sa.insert(LedgerEntry), rows)
    rankings.imported(rows)
    rule_points.imported(rows)
    if on_postgresql():
        # Statistics for what was just loaded (ANALYZE sees this transaction's rows): planned
        # on the stale ones of a small or emptied table, the sums below took seconds a chunk.
        db.session.execute(sa.text("ANALYZE ledger_entries, households"))
    ids = sorted({row["household_id"] for row in rows})
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        # Summed over the chunk's own entries: over the whole ledger each chunk would cost as
        # much as all of them, and a city-sized import would never end.
        sums = expected_sums(chunk)
        # UPDATE ... FROM the grouped sums (PostgreSQL and SQLite alike): as correlated scalar
        # subqueries PostgreSQL summed the chunk again for every household.
        db.session.execute(
            households_table.update()
            .where(households_table.c.id == sums.c.household_id)
            .values(balance=sums.c.balance, score=sums.c.score))
