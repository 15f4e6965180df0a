"""Declaring API calls once: the pydantic models that validate a call also describe it in OpenAPI 3.1.

`@operation("POST", "/awards", body=AwardIn, responses={201: EntriesOut})` registers the view
on the API blueprint, authenticates the bearer token, rate-limits per token holder, validates
the JSON body and query string (400 naming the field otherwise) and records the call for
`openapi()`. Views receive `actor`, `body` and `query` and return `(model, status)` or
`(model, status, headers)`.
"""
import json
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import Any, Callable, Optional

from flask import current_app, g, request
from flask_babel import gettext as _
from limits import RateLimitItem, parse
from pydantic import BaseModel, ConfigDict, ValidationError
from werkzeug.exceptions import TooManyRequests

from app.api.tokens import current
from app.errors import DomainError
from app.extensions import limiter

MAX_BODY = 64 * 1024


class Body(BaseModel):
    """A request body: JSON types exactly as documented, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query-string parameters: strings converted to the documented types, no unknown names."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response body."""


class Error(Out):
    """The inner object of every error answer."""

    code: str
    message: str
    field: Optional[str] = None
    request_id: Optional[str] = None  # as in X-Request-ID: what the helpdesk looks up in the logs


class ErrorOut(Out):
    """Every error answer: {"error": {"code", "message"}}."""

    error: Error


class BadRequest(DomainError):
    """Input that does not fit the call's schema; names the field."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, field_name: Optional[str] = None, code: Optional[str] = None):
        super().__init__(message, code=code)
        self.field = field_name


class TooLarge(BadRequest):
    """A body over MAX_BODY: 413, as the contract and the document say (not a 400)."""

    status = 413

    def __init__(self):
        super().__init__(_("The request body is too large."), "body", code="too_large")


def require_cursor(value: Optional[str], parsed: Any) -> None:
    """400 naming `before` when a cursor was given but the list's own reading of it (`parsed`)
    found none: a malformed cursor is the caller's error, not a silent return to page 1."""
    if value is not None and parsed is None:
        raise BadRequest(_("%(field)s is not valid.", field="before"), "before")


@dataclass
class Operation:
    """One documented call."""

    method: str
    path: str
    summary: str
    view: Callable
    body: Optional[type[Body]] = None
    query: Optional[type[Query]] = None
    responses: dict[int, Optional[type[Out]]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    auth: bool = True
    headers: dict[str, str] = field(default_factory=dict)  # response headers of a success


OPERATIONS: list[Operation] = []


def _field_message(error: dict) -> tuple[str, str]:
    """The dotted field name and a translated message for one pydantic error."""
    name = ".".join(str(part) for part in error.get("loc", ())) or "body"
    kind = error.get("type", "")
    if kind == "missing":
        return name, _("%(field)s is required.", field=name)
    if kind == "extra_forbidden":
        return name, _("%(field)s is not a known field.", field=name)
    if kind.startswith(("string_too", "too_", "greater_", "less_")):
        return name, _("%(field)s is too short, too long, too small or too large.", field=name)
    if kind.endswith(("_type", "_parsing")):
        return name, _("%(field)s has the wrong type.", field=name)
    return name, _("%(field)s is not valid.", field=name)


def _validate(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        name, message = _field_message(error.errors(include_url=False)[0])
        raise BadRequest(message, name) from None


def _json_body() -> Any:
    """The request's JSON document, or a 400 saying why not."""
    if not request.is_json:
        raise BadRequest(_("Send a JSON body (Content-Type: application/json)."), "body",
                         code="malformed_json")
    if (request.content_length or 0) > MAX_BODY:
        raise TooLarge()
    raw = request.get_data(cache=True)[:MAX_BODY + 1]
    if len(raw) > MAX_BODY:
        raise TooLarge()
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, numbers with too many digits
        raise BadRequest(_("The request body is not valid JSON."), "body",
                         code="malformed_json") from None


@lru_cache(maxsize=16)
def _parsed(value: str) -> RateLimitItem:
    return parse(value)


def _limit_holder() -> None:
    """API_LIMIT_PER_HOLDER per token holder (never per address: a village may share one).

    Counted straight in the rate limiter's storage rather than through a Flask-Limiter
    decorator, whose bookkeeping cost more than the whole limit check on every API call."""
    item = _parsed(current_app.config.get("API_LIMIT_PER_HOLDER", "600 per minute"))
    if limiter.enabled and not limiter.hit(item, "api-holder", str(g.api_user_id)):
        # Retry-After: the seconds until the holder's window lets a call through again (the
        # storage that just counted, Redis or the in-memory fallback, answers it).
        reset = limiter.limiter.get_window_stats(item, "api-holder", str(g.api_user_id)).reset_time
        raise TooManyRequests(retry_after=max(1, math.ceil(reset - time.time())))


def operation(bp, method: str, path: str, summary: str, *, body=None, query=None,
              responses=None, errors: tuple[int, ...] = (), auth: bool = True,
              limits: tuple = (), headers: Optional[dict[str, str]] = None) -> Callable:
    """Register `view` on `bp` at `path` (Flask syntax) and document it; see the module docstring.

    `limits` are extra (limit, key_func) pairs, or Flask-Limiter decorators (the sign-in limits).
    """

    def decorator(view: Callable) -> Callable:
        op = Operation(method, path, summary, view, body, query, responses or {}, errors, auth,
                       headers or {})
        OPERATIONS.append(op)

        @wraps(view)
        def checked(**path_args):
            kwargs: dict[str, Any] = {}
            if body is not None:
                kwargs["body"] = _validate(body, _json_body())
            if query is not None:
                kwargs["query"] = _validate(query, request.args.to_dict())
            elif request.args and auth:
                raise BadRequest(_("%(field)s is not a known field.", field=next(iter(request.args))),
                                 next(iter(request.args)))
            if auth:
                kwargs["actor"] = g.api_user
            result, status, *extra = view(**path_args, **kwargs)
            body_out = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            return (body_out, status, *extra)

        limited = checked
        if limits:
            limiter.api_endpoints.add(f"{bp.name}.{view.__name__}")
        for item in limits:
            limited = item(limited) if callable(item) else limiter.limit(item[0], key_func=item[1])(limited)

        @wraps(view)
        def entry(**path_args):
            if auth:
                g.api_user, g.api_token = current()
                _limit_holder()
            return limited(**path_args)

        bp.add_url_rule(path, endpoint=view.__name__, view_func=entry, methods=[method])
        return entry

    return decorator
