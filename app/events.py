"""The outbox: `emit()` records that something happened inside the caller's transaction; handlers
registered with `@handler(kind)` act on it later, from `flask jobs run` (app/jobs.py).

An event of a transaction that rolls back is never written, so never delivered. Delivery claims
each event with a conditional UPDATE in the same transaction as the handler's writes: two job
runners at once deliver every event exactly once, on SQLite and PostgreSQL alike.
"""
from datetime import datetime
from typing import Any, Callable, Optional

import sqlalchemy as sa
from flask import current_app

from app.database import transaction
from app.extensions import db
from app.models import Notification, OutboxEvent
from app.models.base import utcnow
from app.models.outbox import MAX_ATTEMPTS

Handler = Callable[[dict, OutboxEvent], None]
_HANDLERS: dict[str, list[Handler]] = {}
_TEXTS: dict[str, Callable[[dict], str]] = {}


def emit(kind: str, payload: Optional[dict[str, Any]] = None) -> OutboxEvent:
    """Record an event in the current transaction (the caller commits or rolls back)."""
    event = OutboxEvent(kind=kind, payload=dict(payload or {}))
    db.session.add(event)
    db.session.flush()
    return event


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register `function(payload, event)` to run once for every event of `kind`."""

    def register(function: Handler) -> Handler:
        _HANDLERS.setdefault(kind, []).append(function)
        return function

    return register


def notification_text(kind: str) -> Callable:
    """Register the function that turns a notification's params into text in the reader's language."""

    def register(function: Callable[[dict], str]) -> Callable[[dict], str]:
        _TEXTS[kind] = function
        return function

    return register


def notify(user_id: int, kind: str, params: Optional[dict[str, Any]] = None, link: str = "",
           event: Optional[OutboxEvent] = None) -> Notification:
    """Add an in-app notification for one account (inside a handler or any transaction)."""
    note = Notification(user_id=user_id, kind=kind, params=dict(params or {}), link=link[:200],
                        event_id=event.id if event is not None else None)
    db.session.add(note)
    return note


def text_of(note: Notification) -> str:
    """A notification's text in the current language."""
    render = _TEXTS.get(note.kind)
    try:
        return render(note.params) if render else note.kind
    except (KeyError, TypeError, ValueError):
        return note.kind


def unread_count(user) -> int:
    """How many notifications this account has not read (0 when signed out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    loaded = getattr(user, "unread_loaded", None)  # counted when the session loaded the account
    if loaded is not None:
        return loaded
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def _claim(event_id: int, now: datetime) -> bool:
    """Mark the event delivered unless another runner did; True when this runner won it."""
    table = OutboxEvent.__table__
    done = db.session.execute(table.update().where(
        table.c.id == event_id, table.c.delivered_at.is_(None)).values(delivered_at=now))
    return done.rowcount == 1


def deliver_pending(limit: int = 500, now: Optional[datetime] = None) -> int:
    """Run the handlers of up to `limit` waiting events, each in its own transaction; the count done."""
    ids = list(db.session.scalars(
        sa.select(OutboxEvent.id).where(OutboxEvent.delivered_at.is_(None),
                                        OutboxEvent.attempts < MAX_ATTEMPTS)
        .order_by(OutboxEvent.id).limit(limit)))
    delivered = 0
    for event_id in ids:
        try:
            with transaction():
                if not _claim(event_id, now or utcnow()):
                    continue  # another runner delivered it meanwhile
                event = db.session.get(OutboxEvent, event_id)
                for run in _HANDLERS.get(event.kind, []):
                    run(event.payload, event)
            delivered += 1
        except Exception as error:  # a failing handler must not stop the others
            current_app.logger.exception("Delivering event %s failed", event_id)
            table = OutboxEvent.__table__
            with transaction():
                db.session.execute(table.update().where(table.c.id == event_id).values(
                    attempts=table.c.attempts + 1, last_error=str(error)[:500]))
    return delivered
