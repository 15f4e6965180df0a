"""The periods a ranking covers: a local month, a quarter or a year, as ranges of YYYYMM months."""
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from app.errors import InvalidInput

KINDS = ("month", "quarter", "year")
_FORMS = {"month": re.compile(r"^(\d{4})-(\d{2})$"), "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
          "year": re.compile(r"^(\d{4})$")}
SPAN = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Period:
    """A ranking period: its kind, first month (YYYYMM) and the period before it."""

    kind: str
    year: int
    number: int  # the month (1-12), the quarter (1-4) or 1 for a year

    @property
    def first(self) -> int:
        """The first month, YYYYMM."""
        return self.year * 100 + (self.number - 1) * SPAN[self.kind] + 1

    @property
    def last(self) -> int:
        """The last month, YYYYMM."""
        return self.first + SPAN[self.kind] - 1

    @property
    def key(self) -> str:
        """The period as written in an address: 2026-12, 2026-Q4 or 2026."""
        return {"month": f"{self.year}-{self.number:02d}", "quarter": f"{self.year}-Q{self.number}",
                "year": f"{self.year}"}[self.kind]

    @property
    def label(self) -> str:
        """The period in words, in the user's language."""
        if self.kind == "month":
            return _("%(year)d-%(month)s", year=self.year, month=f"{self.number:02d}")
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d", quarter=self.number, year=self.year)
        return _("Year %(year)d", year=self.year)

    def step(self, by: int) -> "Period":
        """The period `by` periods later (earlier when negative)."""
        count = {"month": 12, "quarter": 4, "year": 1}[self.kind]
        index = self.year * count + self.number - 1 + by
        return Period(self.kind, index // count, index % count + 1)

    @property
    def previous(self) -> "Period":
        """The period just before, to compare with."""
        return self.step(-1)


def current(kind: str, today: datetime) -> Period:
    """The period of `kind` that holds `today` (a local date or time)."""
    number = {"month": today.month, "quarter": (today.month - 1) // 3 + 1, "year": 1}[kind]
    return Period(kind, today.year, number)


def parse(kind: str, key: str) -> Period:
    """The period named in an address (kind and key); InvalidInput for anything else."""
    match = _FORMS.get(kind).match(key or "") if kind in _FORMS else None
    if match is None:
        raise InvalidInput(_("Choose a month, quarter or year to rank by."))
    year = int(match.group(1))
    number = int(match.group(2)) if kind != "year" else 1
    if not 2000 <= year <= 2999 or not 1 <= number <= 12:
        raise InvalidInput(_("Choose a month, quarter or year to rank by."))
    return Period(kind, year, number)
