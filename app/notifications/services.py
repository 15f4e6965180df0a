"""Reading and marking notifications; delivery itself is app/events.py's, run as a job."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from app import events
from app.database import transaction
from app.extensions import db
from app.jobs import job
from app.models import Notification, User
from app.models.base import utcnow
from app.pagination import Page, keyset_page


def page_for(user: User, cursor: Optional[str], limit: int) -> Page:
    """The account's notifications, newest first, a keyset page at a time."""
    query = sa.select(Notification).where(Notification.user_id == user.id)
    return keyset_page(query, [Notification.id], cursor, limit, descending=True)


@transaction()
def mark_all_read(user: User) -> int:
    """Mark every unread notification of the account as read; how many were."""
    table = Notification.__table__
    done = db.session.execute(table.update().where(
        table.c.user_id == user.id, table.c.read_at.is_(None)).values(read_at=utcnow()))
    user.unread_loaded = None  # the menu's count, if shown after this, is counted again
    return done.rowcount


@job("notifications")
def deliver(now: datetime) -> str:
    """Deliver every event waiting in the outbox (each exactly once)."""
    total = 0
    while True:
        count = events.deliver_pending(limit=500, now=now)
        total += count
        if count < 500:
            return f"{total} event(s) delivered"
