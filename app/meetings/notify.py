"""What meetings tell people through the outbox: a planned meeting to its village's households."""
import sqlalchemy as sa
from flask_babel import format_datetime, gettext as _

from app import events
from app.extensions import db
from app.models import Household, Meeting, OutboxEvent, Role, User
from app.models.base import utcnow


@events.handler("meeting.planned")
def _meeting_planned(payload: dict, event: OutboxEvent) -> None:
    meeting = db.session.get(Meeting, payload["meeting_id"])
    if meeting is None or meeting.starts_at < utcnow():
        return
    readers = db.session.scalars(sa.select(User.id).join(Household, Household.id == User.household_id)
                                 .where(Household.village_id == meeting.village_id,
                                        Household.active.is_(True), User.role == Role.HOUSEHOLD,
                                        User.active.is_(True)).order_by(User.id))
    params = {"topic": meeting.topic, "place": meeting.place,
              "at": meeting.starts_at.isoformat(), "meeting_id": meeting.id}
    for user_id in readers:
        events.notify(user_id, "meeting.planned", params, "meetings.index", event)


@events.notification_text("meeting.planned")
def _planned_text(params: dict) -> str:
    from datetime import datetime

    at = format_datetime(datetime.fromisoformat(params["at"]), "short")
    return _("Night-talk meeting “%(topic)s” on %(at)s at %(place)s. You are welcome to come.",
             topic=params["topic"], at=at, place=params["place"])
