"""Reading the ledger: history pages, entry flags, star ratings, settings, and the balance check."""
from datetime import UTC, datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models import Household, LedgerEntry, Objection, VillageSettings
from app.models.ledger import SCORING_KINDS
from app.models.ledger import EntryKind, RULE_KINDS
from app.pagination import Page, decode_cursor, encode_cursor

MAX_PAGE = 100


def history(household_id: int, before: Optional[tuple[datetime, int]] = None, limit: int = 20,
            with_rule: bool = False) -> tuple[list[LedgerEntry], Optional[tuple[datetime, int]]]:
    """A page of a household's entries, newest first by the time each shows (`created_at`; the
    later id first among entries of one moment), and the key of the next page (or None).

    Not by id alone: entries recorded with their own earlier dates (bulk imports such as the
    demo's year of history, whose meeting awards come after the rest) get ids after later
    entries, and a reader pages by the dates shown. A household's entries are a range of the (household_id, id) index; their
    sort by time is of one household's rows only."""
    limit = max(1, min(int(limit), MAX_PAGE))
    query = sa.select(LedgerEntry).where(LedgerEntry.household_id == household_id)
    if with_rule:
        query = query.options(so.joinedload(LedgerEntry.rule))
    if before is not None:
        at, last_id = before
        query = query.where(sa.or_(LedgerEntry.created_at < at,
                                   sa.and_(LedgerEntry.created_at == at, LedgerEntry.id < last_id)))
    rows = list(db.session.scalars(query.order_by(LedgerEntry.created_at.desc(),
                                                  LedgerEntry.id.desc()).limit(limit + 1)))
    if len(rows) > limit:
        last = rows[limit - 1]
        return rows[:limit], (last.created_at, last.id)
    return rows, None


def history_key(cursor: Optional[str]) -> Optional[tuple[datetime, int]]:
    """The (time, id) inside a history page's cursor, or None when it is missing or malformed."""
    after = decode_cursor(cursor, 2)
    if after is None or not isinstance(after[0], str) or type(after[1]) is not int:
        return None
    try:
        at = datetime.fromisoformat(after[0])
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)), after[1]


def history_page(household_id: int, cursor: Optional[str], limit: int) -> Page:
    """`history` with the rule loaded, as a Page whose opaque cursor pages can put in a link
    (a malformed cursor starts again from the newest)."""
    rows, key = history(household_id, history_key(cursor), limit, with_rule=True)
    return Page(rows, encode_cursor([key[0].isoformat(), key[1]]) if key is not None else None)


def reversed_ids(entry_ids: list[int]) -> set[int]:
    """Which of these entries have been reversed (one query)."""
    if not entry_ids:
        return set()
    return set(db.session.scalars(
        sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.in_(entry_ids))))


def entry_flags(entries: Iterable[LedgerEntry], household_id: Optional[int] = None) -> dict[str, set[int]]:
    """Which entries are reversed, have an open objection, or household `household_id` may object to."""
    entries = list(entries)
    ids = [e.id for e in entries]
    reversed_, open_ids = reversed_ids(ids), set()
    if ids:
        open_ids = set(db.session.scalars(sa.select(Objection.entry_id).where(
            Objection.entry_id.in_(ids), Objection.status == "open")))
    objectable = set()
    if household_id is not None:
        days = {}
        now = datetime.now(UTC)
        for e in entries:
            if e.household_id != household_id or e.kind not in RULE_KINDS:
                continue
            if e.village_id not in days:
                days[e.village_id] = settings_for(e.village_id).objection_days
            if now - e.created_at <= timedelta(days=days[e.village_id]) \
                    and e.id not in reversed_ and e.id not in open_ids:
                objectable.add(e.id)
    return {"reversed": reversed_, "open": open_ids, "objectable": objectable}


def score_points(entry: sa.ColumnElement, original: sa.ColumnElement) -> sa.ColumnElement:
    """SQL for an entry's contribution to the score: `entry`/`original` are the aliased tables."""
    counts = sa.or_(entry.kind.in_(SCORING_KINDS),
                    sa.and_(entry.kind == EntryKind.REVERSAL, original.kind.in_(SCORING_KINDS)))
    return sa.case((counts, entry.points), else_=0)


def expected_sums(household_ids: Optional[list[int]] = None) -> sa.Subquery:
    """Per household (all, or those of `household_ids`): the balance and score its entries add
    up to (one grouped query)."""
    entry, original = so.aliased(LedgerEntry), so.aliased(LedgerEntry)
    query = (
        sa.select(entry.household_id.label("household_id"),
                  sa.func.sum(entry.points).label("balance"),
                  sa.func.sum(score_points(entry, original)).label("score"))
        .outerjoin(original, original.id == entry.reverses_id)
        .group_by(entry.household_id)
    )
    if household_ids is not None:
        query = query.where(entry.household_id.in_(household_ids))
    return query.subquery()


def verify() -> list[tuple[Household, int, int]]:
    """Every household whose stored balance or score disagrees with its entries, with the right values."""
    sums = expected_sums()
    balance = sa.func.coalesce(sums.c.balance, 0)
    score = sa.func.coalesce(sums.c.score, 0)
    query = (
        sa.select(Household, balance, score)
        .outerjoin(sums, sums.c.household_id == Household.id)
        .where(sa.or_(Household.balance != balance, Household.score != score))
        .order_by(Household.id)
    )
    return [(household, int(b), int(s)) for household, b, s in db.session.execute(query)]


def settings_for(village_id: int) -> VillageSettings:
    """The village's ledger settings, or unsaved defaults when it has none."""
    return VillageSettings.of(village_id)


def star_rating(household: Household) -> int:
    """Stars from 0 to 5: one for any positive score, then one per threshold reached."""
    if household.score <= 0:
        return 0
    reached = sum(1 for threshold in settings_for(household.village_id).thresholds
                  if household.score >= threshold)
    return 1 + reached
