"""Small helpers shared by views."""
from urllib.parse import urlsplit

from typing import Optional

from flask import abort, current_app, flash, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from app.errors import DomainError, NotFound
from app.access import scope
from app.extensions import limiter
from app.typed_codes import typed_number


def flash_errors(form) -> None:
    """Show every field error of a form that was posted from another page."""
    for field in form:
        for message in field.errors:
            flash(f"{field.label.text}: {message}", "danger")


class Outcome:
    """What a service call made by a page came to: true with its `value`, or false with the
    refusal (`error`, and the `status` and `code` the JSON API would answer it with)."""

    def __init__(self, value=None, error: Optional[DomainError] = None):
        self.value, self.error = value, error

    def __bool__(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        return self.error.status if self.error is not None else 200

    @property
    def code(self) -> Optional[str]:
        return self.error.code if self.error is not None else None


def attempt(call, *args, done=None, field=None, flash_as: str = "danger",
            not_found_404: bool = False, **kwargs) -> Outcome:
    """Call a service for a page: `call(*args, **kwargs)`. A DomainError becomes its message,
    flashed as `flash_as` (or put on the form's `field`, so the page re-rendered keeps what the user typed);
    otherwise `done` (a message, or a function of the result giving one) is flashed as a success.
    The page then decides where it lands from the Outcome. With `not_found_404` a NotFound is the
    404 page instead of a message."""
    try:
        value = call(*args, **kwargs)
    except DomainError as refused:
        if not_found_404 and isinstance(refused, NotFound):
            abort(404)
        error = refused
    else:
        message = done(value) if callable(done) else done
        if message:
            flash(message, "success")
        return Outcome(value)
    if field is not None:
        field.errors = [*field.errors, error.message]  # a tuple until the form is validated
    else:
        flash(error.message, flash_as)
    return Outcome(error=error)


def safe_next(target: str | None) -> str | None:
    """Accept only a path on this site, never another host (flask-login #211)."""
    if not target:
        return None
    # Control characters (CR/LF above all) would split the Location header: unsafe, not a 500.
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    return target


def back_or(default: str) -> str:
    """The page the form was posted from, if it is on this site, else `default`."""
    referrer = request.referrer
    if referrer and urlsplit(referrer).netloc == request.host:
        parts = urlsplit(referrer)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return safe_next(path) or default
    return default


MAX_ID = 2**31 - 1


def db_id(value: str) -> int:
    """Parse an id from a query string; out-of-range numbers are refused like non-numbers,
    so `?village=99999999999999999999` is treated as absent instead of overflowing the database."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(value)
    return number


def form_id(value) -> int:
    """`coerce` of a form's select naming a record: an id the database can hold, or 0 for the
    "none" choice; anything else (`99999999999999999999`, -1, words) is refused by the field
    like an unknown choice, instead of overflowing the database (a 500 on SQLite and PostgreSQL)."""
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError(value)
    return number


class IdConverter(IntegerConverter):
    """The `<int:...>` URL converter, bounded to database ids: a huge number is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def village_arg() -> Optional[int]:
    """The ?village= id of a page, None when absent; one that is present but names no possible
    village (not a number, out of range) is a 404, never a silent fall-back to another village."""
    raw = request.args.get("village")
    if raw is None or raw == "":
        return None
    try:
        return db_id(raw)
    except ValueError:
        abort(404)


def region_arg() -> Optional[int]:
    """?village= or ?region= of a list: a region to narrow it to (404 when malformed)."""
    if request.args.get("region"):
        try:
            return db_id(request.args["region"])
        except ValueError:
            abort(404)
    return village_arg()


def readable_village():
    """The village a page shows: ?village= (officials, admins) or the account's own; 404 when it
    is outside the user's scope or not a village."""
    village_id = village_arg() or current_user.village_id or abort(404)
    village = scope.region_or_404(current_user, village_id)
    return village if village.is_village else abort(404)


def managed_village():
    """The village a page changes: the committee's own, or ?village= for an admin; else 404."""
    return scope.managed_village_or_404(current_user, village_arg())


def _typed_code_limit() -> str:
    return current_app.config.get("SHOP_TYPED_CODE_LIMIT", "10 per 10 minutes")


def _typed_code_key() -> str:
    return f"typed-code:{current_user.id}"


def _failed_typed_code(response) -> bool:
    """Only failed lookups of a typed 12-digit code count (a guessing guard, not a speed limit)."""
    return response.status_code == 409 and typed_number(request.form.get("code", "")) is not None


def limit_typed_codes(view):
    """Limit each signed-in user's failed lookups of typed payment-code numbers (shop counter,
    meeting desk); one budget per user across the pages that take them."""
    return limiter.limit(_typed_code_limit, key_func=_typed_code_key, methods=["POST"],
                         deduct_when=_failed_typed_code)(view)
