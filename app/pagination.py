"""Keyset pagination: pages that stay fast however long the list grows (no OFFSET)."""
import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional, Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


@dataclass
class Page:
    """One page of rows and the cursor of the next page (None on the last)."""

    items: list
    next_cursor: Optional[str]


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque, URL-safe cursor for the sort key of the last row shown."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: Optional[str], size: int,
                  columns: Optional[Sequence[sa.ColumnElement | so.QueryableAttribute]] = None) -> Optional[list]:
    """The sort key inside a cursor, or None when it is missing or malformed (start again).
    With `columns`, each value must also be of its column's type: PostgreSQL refuses to compare
    an integer column with a string (or the reverse) and the page would fail."""
    if not cursor or len(cursor) > 512:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != size:
        return None
    if not all(_plausible_key(v) for v in values):
        return None
    if columns is not None and not all(_fits(c, v) for c, v in zip(columns, values)):
        return None
    return values


def _fits(column: sa.ColumnElement | so.QueryableAttribute, value) -> bool:
    """True when `value` has the Python type of `column` (int for integers, str for text)."""
    try:
        wanted = column.type.python_type
    except NotImplementedError:
        return False
    return type(value) is wanted


def _plausible_key(value) -> bool:
    """A sort-key value a cursor may carry: a short string or an int the database can hold."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**31) < value < 2**31
    return isinstance(value, str) and len(value) <= 255 and "\x00" not in value


def keyset_page(query: sa.Select, columns: Sequence[sa.ColumnElement | so.QueryableAttribute], cursor: Optional[str],
                limit: int, descending: bool = False) -> Page:
    """Run `query` ordered by `columns` (unique together), starting after `cursor`."""
    after = decode_cursor(cursor, len(columns), columns)
    if after is not None:
        key = sa.tuple_(*columns)
        query = query.where(key < sa.tuple_(*after) if descending else key > sa.tuple_(*after))
    order = [c.desc() if descending else c.asc() for c in columns]
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    values = [getattr(last, c.key) for c in columns]
    return Page(rows, encode_cursor(values))


def newest_first(query: sa.Select, time_column, id_column, cursor: Optional[str], size: int) -> Page:
    """Keyset pages newest first by (time, id); the cursor carries the time as ISO text."""
    after = decode_cursor(cursor, 2)
    if after is not None:
        try:
            at, last_id = datetime.fromisoformat(after[0]), int(after[1])
        except (TypeError, ValueError):
            at = None
        if at is not None:
            query = query.where(sa.or_(time_column < at,
                                       sa.and_(time_column == at, id_column < last_id)))
    rows = list(db.session.scalars(query.order_by(time_column.desc(), id_column.desc())
                                   .limit(size + 1)))
    if len(rows) <= size:
        return Page(rows, None)
    rows = rows[:size]
    last = rows[-1]
    return Page(rows, encode_cursor([getattr(last, time_column.key).isoformat(),
                                     getattr(last, id_column.key)]))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
