"""What household cards tell people through the outbox: the village committee, when a card locks;
the household, when the committee resets its card's PIN."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import format_datetime, gettext as _

from app import events
from app.extensions import db
from app.models import Household, OutboxEvent, Role, User


@events.handler("card.locked")
def _locked(payload: dict, event: OutboxEvent) -> None:
    household = db.session.get(Household, payload["household_id"])
    if household is None:
        return
    readers = db.session.scalars(sa.select(User.id).where(
        User.role == Role.COMMITTEE, User.region_id == household.village_id, User.active.is_(True)))
    params = {"name": household.head_name, "number": household.number}
    for user_id in sorted(readers):
        events.notify(user_id, "card.locked", params, "shop.cards", event)


@events.notification_text("card.locked")
def _locked_text(params: dict) -> str:
    return _("The household card of %(number)s %(name)s was locked after five wrong PINs.",
             **params)


@events.handler("card.pin_reset")
def _pin_reset(payload: dict, event: OutboxEvent) -> None:
    readers = db.session.scalars(sa.select(User.id).where(
        User.role == Role.HOUSEHOLD, User.household_id == payload["household_id"],
        User.active.is_(True)))
    params = {"by": payload.get("by", ""), "at": payload.get("at", ""),
              "reason": payload.get("reason", "")}
    for user_id in sorted(readers):
        events.notify(user_id, "card.pin_reset", params, "main.me", event)


@events.notification_text("card.pin_reset")
def _pin_reset_text(params: dict) -> str:
    return _("The PIN of your household card was reset on %(at)s by %(by)s (reason: %(reason)s). "
             "If you did not ask for it, tell the village committee.",
             at=format_datetime(datetime.fromisoformat(params["at"]), "short"), by=params["by"], reason=params["reason"])
