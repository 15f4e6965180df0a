"""Request and response models of the JSON API v1 (CONTRACT.md, "JSON API v1"), field for field."""
from datetime import date, datetime
from typing import Annotated, Literal, Optional

from pydantic import BeforeValidator, Field, RootModel

from app.api.spec import Body, Out, Query
from app.issues.services import CATEGORIES



def _integral(value):
    """JSON Schema counts 3.0 as an integer, so the API does too (3.5, "3" and true stay refused)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# The constraints come before the validator, so they stay in the JSON Schema as minimum/maximum.
Id = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(_integral)]
# No NUL in any text (PostgreSQL cannot store it; app/security.py refuses such requests whole).
NO_NUL = r"^[^\x00]*$"


def text(min_length: int = 0, max_length: int = 500):
    """A string field of the given length that holds no NUL, documented as such."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length, pattern=NO_NUL)]


Text = text(0, 500)
Key = text(1, 64)
Limit = Annotated[int, Field(ge=1, le=100), BeforeValidator(_integral)]
Cursor = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_-]+$")]


class TokenIn(Body):
    """Sign-in credentials."""

    username: text(1, 64)
    password: text(1, 256)


class TokenOut(Out):
    """A new bearer token, shown once."""

    token: str
    expires_at: datetime


class MeOut(Out):
    """The signed-in account."""

    username: str
    role: str
    household_id: Optional[int]
    village_id: Optional[int]
    shop_id: Optional[int]


class HouseholdOut(Out):
    """A household's figures."""

    id: int
    name: str
    village_id: int
    balance: int
    score: int


class EntryOut(Out):
    """One ledger entry."""

    id: int
    points: int
    kind: str
    rule_id: Optional[int]
    note: str
    created_at: datetime


class PageQuery(Query):
    """Keyset paging: at most `limit` items older than the opaque cursor `before` (a `next` this API
    gave; anything else is 400 naming `before`)."""

    limit: Limit = 20
    # Absent, not null: a query string has no null, so the document must not offer one (a default
    # is not validated, so None stands for "not given").
    before: Cursor = None  # type: ignore[assignment]


class EntriesPage(Out):
    """A page of entries, newest first, and the cursor of the next page."""

    entries: list[EntryOut]
    next: Optional[str]


class SkippedOut(Out):
    """A household a batch left out, and why (`own_household`: the caller's own household,
    which another member of the committee must award)."""

    household_id: int
    reason: Literal["own_household"]


class EntriesOut(Out):
    """Entries an award made, and the households it left for another member of the committee."""

    entries: list[EntryOut]
    skipped: list[SkippedOut] = []


class RuleOut(Out):
    """A line of the village's rulebook."""

    id: int
    code: str
    name: str
    category: str
    points: int


class AwardIn(Body):
    """Apply a rule to households; the same key again returns the same entries."""

    household_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    rule_id: Id
    note: Text = ""
    idempotency_key: Optional[Key] = None


class ReversalIn(Body):
    """Why an entry is reversed."""

    reason: text(1, 500)


class NotificationOut(Out):
    """An in-app notification, its text in the request's language."""

    id: int
    kind: str
    text: str
    created_at: datetime
    read: bool


class NotificationsPage(Out):
    """A page of notifications, newest first, and the cursor of the next page."""

    notifications: list[NotificationOut]
    next: Optional[str]


class RulesOut(RootModel[list[RuleOut]]):
    """The village's active rules."""


class PaymentCodeOut(Out):
    """A household's payment code, shown once."""

    code: str
    number: str
    expires_at: datetime


class ProductOut(Out):
    """A product on sale."""

    id: int
    name: str
    points: int
    stock: int


class ProductsOut(RootModel[list[ProductOut]]):
    """The shop's products on sale."""


class BasketItem(Body):
    """One line of a basket."""

    product_id: Id
    quantity: Annotated[int, Field(ge=1, le=999), BeforeValidator(_integral)]


class RedemptionIn(Body):
    """A sale: the code the scanner read (or its 12 digits), the basket, and a request key."""

    code: text(1, 100)
    items: Annotated[list[BasketItem], Field(min_length=1, max_length=100)]
    idempotency_key: Optional[Key] = None


class RedemptionOut(Out):
    """The sale made."""

    id: int
    household_id: int
    points: int
    balance_after: int


class MeetingQuery(PageQuery):
    """Meetings of one status (all when absent), a page at a time."""

    status: Literal["planned", "open", "closed"] = None  # type: ignore[assignment]


class MeetingOut(Out):
    """A night-talk meeting; `attended` only for a household."""

    id: int
    format: str
    topic: str
    starts_at: datetime
    place: str
    status: str
    attended: Optional[bool]


class MeetingsOut(RootModel[list[MeetingOut]]):
    """Meetings, newest first."""


class CheckInIn(Body):
    """What the meeting's QR carries: its URL, or the code in it."""

    code: text(1, 500)


class CheckInOut(Out):
    """The meeting checked in to."""

    meeting_id: int


class IssueIn(Body):
    """A household's issue."""

    category: Literal[CATEGORIES]
    description: text(1, 1000)


class IssueCreatedOut(Out):
    """The issue raised."""

    id: int
    status: str


class TimelineOut(Out):
    """A step of an issue's timeline."""

    at: datetime
    status: str
    note: str


class IssueOut(Out):
    """An issue as its raiser and those handling it see it."""

    id: int
    status: str
    category: str
    description: str
    responsible: Optional[str]
    deadline: Optional[date]
    overdue_days: int
    timeline: list[TimelineOut]


class ConfirmationIn(Body):
    """Whether the resolution satisfies, and why not."""

    satisfied: bool
    reason: text(0, 1000) = ""
