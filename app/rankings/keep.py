"""Keeping the rankings' summary (ranking_months) in step with the ledger, inside its writes.

app/ledger/services.py calls these in the transaction that writes the entries, after it has
moved the households' balance and score (so the household row is already locked and writers to
one household's months queue behind each other). Rows move by relative upsert
(`INSERT ... ON CONFLICT DO UPDATE SET gained = gained + :d`) on SQLite and PostgreSQL alike,
in key order, so concurrent writers never lose points and never wait on each other in a cycle.
"""
from collections import Counter
from datetime import UTC, datetime
from typing import Iterable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from app.database import add_to
from app.extensions import db
from app.models.ledger import SCORING_KINDS, EntryKind, LedgerEntry
from app.models.ranking import RankingMonth

table = RankingMonth.__table__


def month_of(moment: datetime) -> int:
    """The scheme's local month of a timestamp, as YYYYMM (the figures' months too)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return local.year * 100 + local.month


def add(changes: Iterable[tuple[int, datetime, int]]) -> None:
    """Add points to households' months: each change is (household_id, when, points)."""
    sums = Counter()
    for household_id, moment, points in changes:
        sums[household_id, month_of(moment)] += points
    add_to(table, ["household_id", "month"],
           [{"household_id": h, "month": m, "gained": n} for (h, m), n in sorted(sums.items()) if n])


def written(entries: Iterable[LedgerEntry]) -> None:
    """New entries (flushed, so they have their time): those that count towards the score."""
    add((e.household_id, e.created_at, e.points) for e in entries if e.kind in SCORING_KINDS)


def reversed_(original: LedgerEntry) -> None:
    """`original` was reversed: it no longer counts in its own month."""
    if original.kind in SCORING_KINDS:
        add([(original.household_id, original.created_at, -original.points)])


def imported(rows: list[dict]) -> None:
    """Entries inserted in bulk (column dicts, each with its created_at), reversals included."""
    reversing = {row["reverses_id"]: row for row in rows
                 if row.get("kind") == EntryKind.REVERSAL and row.get("reverses_id")}
    originals = {}
    ids = sorted(reversing)
    for start in range(0, len(ids), 500):
        originals.update((i, (kind, at)) for i, kind, at in db.session.execute(
            sa.select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.created_at)
            .where(LedgerEntry.id.in_(ids[start:start + 500]))))
    changes = [(row["household_id"], row["created_at"], row["points"]) for row in rows
               if row.get("kind") in SCORING_KINDS]
    changes += [(row["household_id"], originals[i][1], row["points"])
                for i, row in reversing.items() if i in originals and originals[i][0] in SCORING_KINDS]
    add(changes)
