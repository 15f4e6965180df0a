"""Dates a person can have meant: the one window every date a form asks for must fall in.

A deadline of 2062 or a meeting of last spring is a slip of the finger, not a plan; the forms
refuse it with a message instead of storing it. YEARS_AHEAD is the one place the window is set.
"""
from datetime import UTC, date, datetime, timedelta
from typing import Optional, Union
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import gettext as _
from wtforms.validators import StopValidation

YEARS_AHEAD = 5  # no form asks for a date further ahead than this
EARLIEST = date(2000, 1, 1)  # nor for one before the scheme could have existed


def local_now() -> datetime:
    """The scheme's local time, naive (as a datetime-local field gives it)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    return datetime.now(zone).replace(tzinfo=None)


def local_today(now: datetime) -> date:
    """The date it is in the scheme's time zone (deadlines are local dates)."""
    return now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def period_start(period: str, now: Optional[datetime] = None) -> datetime:
    """The UTC instant the current day, month or year began in the scheme's local time."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    local = (now or datetime.now(UTC)).astimezone(zone)
    local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period in ("month", "year"):
        local = local.replace(day=1)
    if period == "year":
        local = local.replace(month=1)
    return local.astimezone(UTC)


def latest(today: date) -> date:
    """The last day a form accepts: YEARS_AHEAD years after today (28 February for 29 February)."""
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def problem(value: Union[date, datetime], past: Optional[timedelta] = None,
            now: Optional[datetime] = None) -> Optional[str]:
    """What is wrong with a date a form was given, or None. `past`, when given, is how far before
    now it may lie (timedelta(0): today or later for a date; a day back for a meeting's start)."""
    now = now or local_now()
    day = value.date() if isinstance(value, datetime) else value
    if day > latest(now.date()):
        return _("This date is more than %(years)d years away: check the year.", years=YEARS_AHEAD)
    if day < EARLIEST:
        return _("This date is too far in the past: check the year.")
    if past is not None:
        if isinstance(value, datetime) and value < now - past:
            return _("This time is more than a day ago: a meeting is planned for now or later.")
        if not isinstance(value, datetime) and day < (now - past).date():
            return _("This date is before today: choose today or a later day.")
    return None


class Plausible:
    """WTForms validator: the field's date lies in the window above (see `problem`)."""

    def __init__(self, past: Optional[timedelta] = None, with_time: bool = False):
        self.past = past
        self.with_time = with_time

    @property
    def field_flags(self) -> dict:
        """`min` and `max` for the input, so a phone's date picker offers only the window."""
        if not has_app_context():
            return {}
        now = local_now()
        shape = "%Y-%m-%dT%H:%M" if self.with_time else "%Y-%m-%d"
        flags = {"max": latest(now.date()).strftime("%Y-%m-%d") + ("T23:59" if self.with_time else "")}
        if self.past is not None:
            flags["min"] = (now - self.past).strftime(shape)
        return flags

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        message = problem(field.data, self.past)
        if message:
            raise StopValidation(message)
