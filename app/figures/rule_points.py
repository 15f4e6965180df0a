"""Keeping the figures' points by rule (app/models/figure_points.py) in step with the ledger.

Only the figures' charts read it (charts.points_by_category); app/figures loads no pages on
import, so the ledger can import it.

app/ledger/services.py calls `written`, `reversed_` and `imported` in the transaction that writes
the entries, beside the rankings' keeper (app/rankings/keep.py), with the same relative upsert in
key order, and the same points by category name of the regions above each village
(region_points.py). `verify()` and `rebuild()` recount from the ledger for `flask figures verify|rebuild`.
Counted: entries of kind award or deduction that name a rule, in their local month; a reversal
of one, in the month of the entry it reverses.
"""
from collections import Counter
from typing import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.database import add_to, on_postgresql
from app.extensions import db
from app.figures import region_points
from app.models.figure_points import FigurePoints
from app.models.ledger import RULE_KINDS, EntryKind, LedgerEntry
from app.rankings.keep import month_of
from app.rankings.recount import differences

table = FigurePoints.__table__


def add(changes: Iterable[tuple[int, int, object, int]]) -> None:
    """Add points to rules' months: each change is (village_id, rule_id, when, points)."""
    sums = Counter()
    for village_id, rule_id, moment, points in changes:
        sums[village_id, month_of(moment), rule_id] += points
    sums = Counter({key: n for key, n in sums.items() if n})
    if not sums:
        return
    region_points.lock(sums)  # before any row: the regions' writers read paths and names after it
    add_to(table, ["village_id", "month", "rule_id"],
           [{"village_id": v, "month": m, "rule_id": r, "points": n}
            for (v, m, r), n in sorted(sums.items())])
    region_points.added(sums)  # the township, county and city above, by category name


def _counted(entry) -> bool:
    return entry.kind in RULE_KINDS and entry.rule_id is not None


def written(entries: Iterable[LedgerEntry]) -> None:
    """New entries (flushed, so they have their time): those a rule made."""
    add((e.village_id, e.rule_id, e.created_at, e.points) for e in entries if _counted(e))


def reversed_(original: LedgerEntry) -> None:
    """`original` was reversed: it no longer counts in its own month."""
    if _counted(original):
        add([(original.village_id, original.rule_id, original.created_at, -original.points)])


def imported(rows: list[dict]) -> None:
    """Entries inserted in bulk (column dicts with their created_at), reversals included."""
    reversing = {row["reverses_id"]: row for row in rows
                 if row.get("kind") == EntryKind.REVERSAL and row.get("reverses_id")}
    ids, originals = sorted(reversing), {}
    for start in range(0, len(ids), 500):
        originals.update((e.id, e) for e in db.session.execute(
            sa.select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.rule_id, LedgerEntry.village_id,
                      LedgerEntry.created_at).where(LedgerEntry.id.in_(ids[start:start + 500]))))
    changes = [(row["village_id"], row["rule_id"], row["created_at"], row["points"]) for row in rows
               if row.get("kind") in RULE_KINDS and row.get("rule_id") is not None]
    changes += [(o.village_id, o.rule_id, o.created_at, reversing[i]["points"])
                for i, o in originals.items() if _counted(o)]
    add(changes)


def expected() -> dict[tuple[int, int, int], int]:
    """{(village_id, month, rule_id): points} recounted from the ledger, zero sums left out."""
    entry, original = so.aliased(LedgerEntry), so.aliased(LedgerEntry)
    counted = sa.or_(sa.and_(entry.kind.in_(RULE_KINDS), entry.rule_id.is_not(None)),
                     sa.and_(entry.kind == EntryKind.REVERSAL, original.kind.in_(RULE_KINDS),
                             original.rule_id.is_not(None)))
    sums = Counter()
    for points, village_id, rule_id, at, o_village, o_rule, o_at in db.session.execute(
            sa.select(entry.points, entry.village_id, entry.rule_id, entry.created_at,
                      original.village_id, original.rule_id, original.created_at)
            .outerjoin(original, original.id == entry.reverses_id).where(counted)
            .execution_options(yield_per=5000)):
        if o_at is not None:
            village_id, rule_id, at = o_village, o_rule, o_at
        sums[village_id, month_of(at), rule_id] += points
    return {key: n for key, n in sums.items() if n}


def stored() -> dict[tuple[int, int, int], int]:
    """{(village_id, month, rule_id): points} as kept, zero rows left out."""
    return {(v, m, r): n for v, m, r, n in db.session.execute(
        sa.select(table.c.village_id, table.c.month, table.c.rule_id, table.c.points)) if n}


def verify(limit: int = 100) -> list[str]:
    """Where the rows disagree with the ledger: one line per village, month and rule (at most
    `limit`), read in one snapshot on PostgreSQL."""
    return differences(expected, stored, limit, lambda key, have, want: (
        f"village {key[0]} month {key[1]} rule {key[2]}: points {have} expected {want}"))


def rebuild() -> int:
    """Replace the rows with a recount (in the caller's transaction); the rows written."""
    if on_postgresql():
        db.session.execute(sa.text("LOCK TABLE figure_points IN EXCLUSIVE MODE"))
    rows = expected()
    db.session.execute(sa.delete(FigurePoints))
    if rows:
        db.session.execute(sa.insert(FigurePoints), [
            {"village_id": v, "month": m, "rule_id": r, "points": n}
            for (v, m, r), n in sorted(rows.items())])
    return len(rows)
