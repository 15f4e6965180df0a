"""Reading the notice board (积分公示) of a village-month and the objections (异议) in a user's scope.

Writes (objecting, answering) stay in app/ledger/claims.py; every lookup by id is limited to
the user's scope through app/scope.py.
"""
import re
from datetime import UTC, date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _

from app import dates
from app.access import lookup, scope
from app.errors import InvalidInput
from app.extensions import db
from app.ledger.reads import village_queue
from app.models import LedgerEntry, Objection, User
from app.models.ledger import RULE_KINDS
from app.pagination import Page, keyset_page


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_range(asked: str) -> tuple[datetime, datetime, datetime]:
    """(first day in the scheme's time zone, UTC start, UTC end) of month YYYY-MM, or of the
    current month when `asked` is empty; an impossible month is InvalidInput."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    now = datetime.now(UTC).astimezone(zone)
    year, month = now.year, now.month
    found = MONTH.match(asked or "")
    if found and 1 <= int(found[2]) <= 12 and \
            dates.problem(date(int(found[1]), int(found[2]), 1)) is None:
        year, month = int(found[1]), int(found[2])
    elif asked:
        raise InvalidInput(_("Unknown month %(month)s: showing the current month.", month=asked[:20]),
                           code="unknown_month")
    first = datetime(year, month, 1, tzinfo=zone)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return first, first.astimezone(UTC), following.astimezone(UTC)


def months_around(first: datetime) -> tuple[str, str]:
    """The months before and after the one starting at `first`, as YYYY-MM."""
    previous = (first.year - 1, 12) if first.month == 1 else (first.year, first.month - 1)
    following = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    return "%04d-%02d" % previous, "%04d-%02d" % following


def _board_query(village_id: int, start: datetime, end: datetime) -> sa.Select:
    return (sa.select(LedgerEntry)
            .where(LedgerEntry.village_id == village_id,
                   LedgerEntry.kind.in_(RULE_KINDS),
                   LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
            .options(so.joinedload(LedgerEntry.household), so.joinedload(LedgerEntry.rule)))


def board_page(village_id: int, start: datetime, end: datetime, cursor: Optional[str], limit: int) -> Page:
    """A page of the village's awards and deductions between `start` and `end`, newest first."""
    return keyset_page(_board_query(village_id, start, end), [LedgerEntry.id], cursor, limit,
                       descending=True)


def board_entries(village_id: int, start: datetime, end: datetime, most: int) -> list[LedgerEntry]:
    """Up to `most` + 1 of the village's awards and deductions in the period, oldest first."""
    return list(db.session.scalars(_board_query(village_id, start, end)
                                   .order_by(LedgerEntry.created_at, LedgerEntry.id).limit(most + 1)))


def own_entry_or_404(user: User, entry_id: int) -> LedgerEntry:
    """An entry of the signed-in household's own, within its scope, or 404."""
    return lookup.scoped_or_404(sa.select(LedgerEntry).where(
        LedgerEntry.household_id.in_(scope.household_ids_subquery(user))),
        LedgerEntry.id == entry_id, LedgerEntry.household_id == (user.household_id or -1))


def _objections_query(user: User) -> sa.Select:
    return (sa.select(Objection).where(Objection.household_id.in_(scope.household_ids_subquery(user)))
            .options(so.joinedload(Objection.household),
                     so.joinedload(Objection.entry).joinedload(LedgerEntry.rule)))


def my_objections(user: User, cursor: Optional[str], limit: int) -> Page:
    """The objections of the households in the user's scope, newest first."""
    return keyset_page(_objections_query(user), [Objection.id], cursor, limit, descending=True)


def objections_queue(user: User, village_id: int, answered: bool, cursor: Optional[str],
                     limit: int) -> Page:
    """The village's objections in scope: open ones oldest first, or answered ones newest first."""
    return village_queue(_objections_query(user), Objection, village_id, "open", answered, cursor, limit)


def objection_or_404(user: User, objection_id: int) -> Objection:
    """An objection of a household in the user's scope, or 404."""
    return lookup.scoped_or_404(_objections_query(user), Objection.id == objection_id)
