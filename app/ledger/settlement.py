"""The year-end settlement (年度清零), optional per village: the committee picks the date and how
many days before it households are warned; the `settlement` job warns them once (one outbox event
per settlement, one notification per household account) and, the day after the date, lapses every
positive balance through app/ledger/services.expire_balance. Points lapse at the END of the chosen
day, so a household may still spend them on it. Afterwards the date moves a year on (the setting
stays on until the committee switches it off).

Several job runners at once do each step once: a settlement's row is claimed by conditional
UPDATEs of `warned_at` and `done_at`, and each expiry entry has a unique key as the last line.
"""
from datetime import date, datetime, timedelta
from typing import NamedTuple, Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app import audit, events
from app.access import permissions
from app.database import transaction
from app.dates import local_now, local_today, problem
from app.errors import InvalidInput, NotAllowed
from app.extensions import db
from app.jobs import job
from app.ledger import services
from app.ledger.reads import settings_for
from app.models import Household, LedgerEntry, OutboxEvent, Region, Role, Settlement, User, VillageSettings
from app.models.ledger import RefType

MAX_WARN_DAYS = 180
settlements_table = Settlement.__table__
settings_table = VillageSettings.__table__


class Lapse(NamedTuple):
    """Points of a household that lapse at the end of `on`."""

    points: int
    on: date


def year_on(day: date) -> date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def key_prefix(village_id: int, on: date) -> str:
    """The settlement's idempotency keys are `<prefix>:<household id>`: one lapse a household."""
    return f"settlement:{village_id}:{on.isoformat()}"


def save_settlement(actor: User, village_id: int, settle_on: Optional[date],
                    warn_days: int) -> VillageSettings:
    """Switch a village's settlement on (a date today or later) or off (None), with its warning
    days (1-180), audited."""
    with transaction(conflict=_("These settings were just saved by someone else. Please try again.")):
        village = db.session.get(Region, village_id)
        if village is None or not village.is_village:
            raise NotAllowed(_("This village is not in your area."))
        permissions.require(actor, "village.manage", village.id, _("This village is not in your area."))
        if isinstance(warn_days, bool) or not isinstance(warn_days, int) \
                or not 1 <= warn_days <= MAX_WARN_DAYS:
            raise InvalidInput(_("Warning days must be a whole number from 1 to %(max)d.",
                                 max=MAX_WARN_DAYS))
        if settle_on is not None:
            message = problem(settle_on, past=timedelta(0))
            if message:
                raise InvalidInput(message)
            if db.session.scalar(sa.select(Settlement.id).where(
                    Settlement.village_id == village.id, Settlement.settle_on == settle_on,
                    Settlement.done_at.is_not(None))):
                # It would never run again, and the date would never move on.
                raise InvalidInput(_("This village already settled on that date: choose another."))
        settings = db.session.get(VillageSettings, village.id)
        if settings is None:
            settings = VillageSettings(village_id=village.id)
            db.session.add(settings)
        settings.settlement_on, settings.settlement_warn_days = settle_on, warn_days
        audit.record("ledger.settlement_settings", f"village:{village.id}",
                     f"settlement {settle_on.isoformat() if settle_on else 'off'}, "
                     f"warn {warn_days} days before", actor)
    return settings


def lapse_notice(household: Household, today: Optional[date] = None) -> Optional[Lapse]:
    """The points that lapse and when, while the village's settlement is within its warning
    window; else None. No query for a household with nothing to lose; otherwise the village's
    settings by primary key (already in the session where /me has read the stars)."""
    if household.balance <= 0:
        return None
    settings = settings_for(household.village_id)
    on = settings.settlement_on
    if on is None:
        return None
    today = today or local_now().date()
    if not on - timedelta(days=settings.settlement_warn_days) <= today <= on:
        return None
    return Lapse(household.balance, on)


def settlement_row(village_id: int, on: date) -> int:
    """The id of the village's settlement on `on`, made when missing (two makers: one wins)."""
    query = sa.select(Settlement.id).where(Settlement.village_id == village_id,
                                           Settlement.settle_on == on)
    found = db.session.scalar(query)
    if found is not None:
        return found
    try:
        with transaction():
            row = Settlement(village_id=village_id, settle_on=on)
            db.session.add(row)
            db.session.flush()
            return row.id
    except IntegrityError:  # another runner made it meanwhile
        return db.session.scalar(query)


def warn(settlement_id: int, now: datetime) -> bool:
    """Emit the settlement's warning unless it went out already; True when this call sent it."""
    with transaction():
        claimed = db.session.execute(settlements_table.update().where(
            settlements_table.c.id == settlement_id, settlements_table.c.warned_at.is_(None),
            settlements_table.c.done_at.is_(None)).values(warned_at=now)).rowcount
        if claimed != 1:
            return False
        events.emit("settlement.warning", {"settlement_id": settlement_id})
    return True


def settle(settlement_id: int, now: datetime, today: date) -> Optional[Settlement]:
    """Lapse the village's positive balances for this settlement, once; None when another run
    did it. Then the village's date moves on to the first yearly date from today."""
    with transaction():
        claimed = db.session.execute(settlements_table.update().where(
            settlements_table.c.id == settlement_id, settlements_table.c.done_at.is_(None))
            .values(done_at=now)).rowcount
        if claimed != 1:
            return None
        settlement = db.session.get(Settlement, settlement_id)
        ids = db.session.scalars(sa.select(Household.id).where(
            Household.village_id == settlement.village_id, Household.balance > 0))
        entries = services.expire_balance(
            ids, (RefType.SETTLEMENT, settlement.id),
            _("Year-end settlement of %(date)s", date=settlement.settle_on.isoformat()),
            key_prefix(settlement.village_id, settlement.settle_on))
        settlement.households = len(entries)
        settlement.points = -sum(e.points for e in entries)
        following = year_on(settlement.settle_on)
        while following < today:
            following = year_on(following)
        db.session.execute(settings_table.update().where(
            settings_table.c.village_id == settlement.village_id,
            settings_table.c.settlement_on == settlement.settle_on).values(settlement_on=following))
        audit.record("ledger.settlement", f"village:{settlement.village_id}",
                     f"{settlement.settle_on.isoformat()}: {settlement.points} points of "
                     f"{settlement.households} households lapsed; next {following.isoformat()}",
                     permissions.SYSTEM)
    return settlement


def _local_today(now: datetime) -> date:
    return local_today(now)


# Hourly, so its runs show in job_runs and /metrics; its own claims make any extra run harmless.
@job("settlement", every=timedelta(hours=1))
def run_settlements(now: datetime) -> str:
    """Warn the villages whose settlement is near, settle those whose date has passed."""
    today = _local_today(now)
    due = db.session.execute(sa.select(VillageSettings.village_id, VillageSettings.settlement_on,
                                       VillageSettings.settlement_warn_days)
                             .where(VillageSettings.settlement_on.is_not(None))
                             .order_by(VillageSettings.village_id)).all()
    db.session.rollback()  # the list is read: each village's settlement is a transaction of its own
    warned = settled = 0
    for village_id, on, warn_days in due:
        if today > on:
            settled += settle(settlement_row(village_id, on), now, today) is not None
        elif today >= on - timedelta(days=warn_days):
            warned += warn(settlement_row(village_id, on), now)
    return f"{warned} village(s) warned, {settled} settled"


@events.handler("settlement.warning")
def _warning(payload: dict, event: OutboxEvent) -> None:
    """Each household account with points to lose is told how many and when (one query)."""
    settlement = db.session.get(Settlement, payload["settlement_id"])
    if settlement is None or settlement.done_at is not None:
        return
    readers = db.session.execute(
        sa.select(User.id, Household.balance).join(Household, Household.id == User.household_id)
        .where(Household.village_id == settlement.village_id, Household.balance > 0,
               User.role == Role.HOUSEHOLD, User.active.is_(True)).order_by(User.id))
    for user_id, balance in readers:
        events.notify(user_id, "settlement.warning",
                      {"points": balance, "date": settlement.settle_on.isoformat()}, "main.me", event)


@events.notification_text("settlement.warning")
def _warning_text(params: dict) -> str:
    return _("Year-end settlement: your %(points)d points lapse at the end of %(date)s. "
             "Spend them in the village shop before then.", **params)


# Reads of the committee's settlement page: keyset pages, each one index range.
PAGE_SIZE = 50


def preview_page(village_id: int, after: Optional[int], limit: int = PAGE_SIZE) -> list[Household]:
    """The village's households with points that would lapse now, by id, after the id `after`."""
    query = (sa.select(Household).where(Household.village_id == village_id, Household.balance > 0)
             .order_by(Household.id).limit(limit + 1))
    if after is not None:
        query = query.where(Household.id > after)
    return list(db.session.scalars(query))


def history(village_id: int, limit: int = 20) -> list[Settlement]:
    """The village's settlements that have run, newest first."""
    return list(db.session.scalars(sa.select(Settlement).where(
        Settlement.village_id == village_id, Settlement.done_at.is_not(None))
        .order_by(Settlement.settle_on.desc()).limit(limit)))


def expired_page(settlement: Settlement, after: Optional[int],
                 limit: int = PAGE_SIZE) -> list[tuple]:
    """What a settlement lapsed: (household, points) by household id, as its entries' unique keys
    order them (a range of the idempotency key's index)."""
    prefix = key_prefix(settlement.village_id, settlement.settle_on)
    query = (sa.select(Household, -LedgerEntry.points)
             .join(Household, Household.id == LedgerEntry.household_id)
             .where(LedgerEntry.idempotency_key >= f"{prefix}:",
                    LedgerEntry.idempotency_key < f"{prefix};")
             .order_by(LedgerEntry.household_id).limit(limit + 1))
    if after is not None:
        query = query.where(LedgerEntry.household_id > after)
    return [tuple(row) for row in db.session.execute(query)]
