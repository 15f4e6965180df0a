"""The rankings' summary recounted from the ledger: `verify()` compares, `rebuild()` replaces.

Used by `flask figures verify|rebuild` and the tests. Months are the scheme's local months,
computed in Python from each entry's time (time zones in SQL differ between the databases).
"""
from collections import Counter
from typing import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.database import on_postgresql
from app.extensions import db
from app.models.ledger import SCORING_KINDS, EntryKind, LedgerEntry
from app.models.ranking import RankingMonth
from app.rankings.keep import month_of


def expected() -> dict[tuple[int, int], int]:
    """{(household_id, month): points gained} from the ledger, months that net to zero left out."""
    entry, original = so.aliased(LedgerEntry), so.aliased(LedgerEntry)
    # A scoring entry counts in its month; a reversal of one takes it off the original's month.
    counted = sa.or_(entry.kind.in_(SCORING_KINDS),
                     sa.and_(entry.kind == EntryKind.REVERSAL, original.kind.in_(SCORING_KINDS)))
    sums = Counter()
    for household_id, points, at, original_at in db.session.execute(
            sa.select(entry.household_id, entry.points, entry.created_at, original.created_at)
            .outerjoin(original, original.id == entry.reverses_id).where(counted)
            .execution_options(yield_per=5000)):
        sums[household_id, month_of(original_at or at)] += points
    return {key: n for key, n in sums.items() if n}


def stored() -> dict[tuple[int, int], int]:
    """{(household_id, month): gained} as kept, zero rows left out."""
    return {(h, m): n for h, m, n in db.session.execute(
        sa.select(RankingMonth.household_id, RankingMonth.month, RankingMonth.gained)) if n}


def verify(limit: int = 100) -> list[str]:
    """Where the summary disagrees with the ledger: one line per household month, at most `limit`.

    Runs in a transaction of its own; on PostgreSQL a REPEATABLE READ one, so the ledger and the
    summary are read from one snapshot while writers go on."""
    return differences(expected, stored, limit, lambda key, have, want: (
        f"household {key[0]} month {key[1]}: gained {have} expected {want}"))


def differences(expected: Callable[[], dict], stored: Callable[[], dict], limit: int,
                describe: Callable[[tuple, int, int], str]) -> list[str]:
    """Where a summary kept by the ledger's writes disagrees with its recount, at most `limit`
    lines. Both are read in a transaction of their own; on PostgreSQL a REPEATABLE READ one, so
    the ledger and the summary come from one snapshot while writers go on."""
    db.session.rollback()
    if on_postgresql():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        want, have = expected(), stored()
    finally:
        db.session.rollback()
    wrong = []
    for key in sorted(set(want) | set(have)):
        if want.get(key, 0) != have.get(key, 0):
            wrong.append(describe(key, have.get(key, 0), want.get(key, 0)))
            if len(wrong) >= limit:
                break
    return wrong


def rebuild() -> int:
    """Replace the summary with a recount (in the caller's transaction); the rows written."""
    if on_postgresql():
        # Writers add to it after their entry: with the table locked they wait, so every entry is
        # either in the recount or added after it, never both.
        db.session.execute(sa.text("LOCK TABLE ranking_months IN EXCLUSIVE MODE"))
    rows = expected()
    db.session.execute(sa.delete(RankingMonth))
    if rows:
        db.session.execute(sa.insert(RankingMonth), [
            {"household_id": h, "month": m, "gained": n} for (h, m), n in sorted(rows.items())])
    return len(rows)
