"""Register import: read an .xlsx or .csv, check every row, keep a preview, import all or nothing.

Nothing is written at preview. A file whose rows are all good is kept server-side as JSON
(app/spreadsheets/pending.py) until it is confirmed (the cookie session is too small); the
confirmation checks every row again against the register as it is then, in the same transaction.
"""
import re
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit
from app.database import transaction
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.figures import rollup
from app.households import phones
from app.households.forms import NUMBER_PATTERN
from app.households.io.reader import LABELS, parse_rows, read_table
from app.households.services import create_grid
from app.models import Grid, Household, Region, User
from app.spreadsheets.pending import claim_pending, save_pending
from app.spreadsheets.read import EXCEL_ERRORS

PREVIEW_ROWS = 20
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LIMITS = {"number": 32, "head_name": 64, "address": 200, "phone": 32, "grid": 64}


@dataclass
class RowProblem:
    """One bad row: its row number in the file and every reason it cannot be imported."""

    row: int
    number: str
    head_name: str
    reasons: list[str]


@dataclass
class Preview:
    """What an upload would import: good rows, bad rows, a decoding notice and the token."""

    rows: list[dict]
    problems: list[RowProblem] = field(default_factory=list)
    notice: Optional[str] = None
    filename: str = ""
    token: Optional[str] = None
    new_grids: list[str] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)

    @property
    def can_confirm(self) -> bool:
        """True when every row is good (and there is at least one)."""
        return bool(self.rows) and not self.problems and self.token is not None

    @property
    def good_count(self) -> int:
        """How many rows would be imported."""
        bad = {p.row for p in self.problems}
        return sum(1 for r in self.rows if r["row"] not in bad)

    @property
    def first_rows(self) -> list[dict]:
        """The first good rows, to show what will be imported."""
        bad = {p.row for p in self.problems}
        return [r for r in self.rows if r["row"] not in bad][:PREVIEW_ROWS]


class ImportRefused(Conflict):
    """Confirmation found bad rows (the register changed since the preview), or new grids the
    user did not agree to create: nothing imported."""

    def __init__(self, preview: Preview, message: Optional[str] = None):
        super().__init__(message or _("The register changed since the preview. Nothing was imported."))
        self.preview = preview


# ---- validation ----------------------------------------------------------------------------

def validate(village: Region, rows: list[dict]) -> list[RowProblem]:
    """Every bad row with all its reasons, checked against the village register as it is now."""
    existing = set(db.session.scalars(sa.select(Household.number)
                                      .where(Household.village_id == village.id)))
    seen: dict[str, list[int]] = {}
    for row in rows:
        if row["number"]:
            seen.setdefault(row["number"], []).append(row["row"])
    problems = []
    for row in rows:
        reasons = _row_reasons(row, existing, seen)
        if reasons:
            problems.append(RowProblem(row["row"], row["number"], row["head_name"], reasons))
    return problems


def _row_reasons(row: dict, existing: set, seen: dict) -> list[str]:
    reasons = []
    labels = {k: _(v) for k, v in LABELS.items()}
    for key, text in row.items():
        if key == "row":
            continue
        if text in EXCEL_ERRORS:
            reasons.append(_("%(field)s is the Excel error %(value)s.",
                             field=labels[key], value=text))
        elif CONTROL.search(text):
            reasons.append(_("%(field)s contains invalid characters.", field=labels[key]))
        elif len(text) > LIMITS.get(key, 1000):
            reasons.append(_("%(field)s is too long (at most %(max)d characters).",
                             field=labels[key], max=LIMITS.get(key, 1000)))
    number = row["number"]
    if not number:
        reasons.append(_("Household number is missing."))
    elif len(number) <= LIMITS["number"] and not re.match(NUMBER_PATTERN, number):
        reasons.append(_("Household number %(number)s: use digits, letters and dashes only.",
                         number=number))
    elif len(seen.get(number, ())) > 1:
        others = ", ".join(str(r) for r in seen[number] if r != row["row"])
        reasons.append(_("Household number %(number)s is also in row %(rows)s of this file.",
                         number=number, rows=others))
    elif number in existing:
        reasons.append(_("Household number %(number)s is already in the register.", number=number))
    if not row["head_name"]:
        reasons.append(_("Head of household is missing."))
    if row["members"] and not re.fullmatch(r"[0-9]{1,2}", row["members"]) \
            or row["members"] in ("0", "00"):
        reasons.append(_("Members must be a whole number from 1 to 99."))
    phone = phones.problem(row["phone"])
    if phone:
        reasons.append(phone)
    return reasons


def new_grids(village: Region, rows: list[dict]) -> list[str]:
    """The grids the file names that the village does not have yet, in the order they first appear
    (offered for creation on the preview instead of a refusal on every row naming them)."""
    grids = {g.name.strip() for g in db.session.scalars(
        sa.select(Grid).where(Grid.village_id == village.id))}
    return list(dict.fromkeys(r["grid"] for r in rows if r["grid"] and r["grid"] not in grids))


def warnings(rows: list[dict]) -> list[RowProblem]:
    """Rows that import but deserve a look: a head of household's name with a space inside."""
    return [RowProblem(r["row"], r["number"], r["head_name"], [_("The name has a space in it.")])
            for r in rows if " " in r["head_name"]]


# ---- preview, pending copy and confirmation ------------------------------------------------

def preview_upload(village: Region, filename: str, data: bytes, user: User) -> Preview:
    """Read and check an upload; keep a server-side copy when every row is good. Writes nothing."""
    rows, notice = read_table(filename, data)
    parsed = parse_rows(rows)
    preview = Preview(parsed, validate(village, parsed), notice, filename[:100],
                      new_grids=new_grids(village, parsed), warnings=warnings(parsed))
    if not preview.problems:
        preview.token = _save_pending(village, user, preview)
    return preview


def confirm_import(village: Region, token: str, user: User, create_grids: bool = False) -> int:
    """Import every row of a previewed file in one transaction, or nothing; returns the count.
    With `create_grids` the grids the file names that do not exist yet are created in the same
    transaction; without it such a file is refused (and kept, to be confirmed with the tick)."""
    pending = claim_pending(token)
    if pending is None or pending.get("village_id") != village.id \
            or pending["user_id"] != user.id:
        raise InvalidInput(_("This import has expired or was already done. Upload the file again."))
    rows = pending["rows"]
    with transaction(conflict=_("Someone added households with the same numbers meanwhile. Nothing "
                                "was imported. Upload the file again to see which rows.")):
        problems = validate(village, rows)
        if problems:
            raise ImportRefused(Preview(rows, problems, pending.get("notice"), pending["filename"]))
        missing = new_grids(village, rows)
        if missing and not create_grids:
            again = Preview(rows, [], pending.get("notice"), pending["filename"], new_grids=missing,
                            warnings=warnings(rows))
            again.token = _save_pending(village, user, again)
            raise ImportRefused(again, _("Tick the box to create the new grids, then import. "
                                         "Nothing was imported."))
        for name in missing:
            create_grid(user, village, name)
        grids = {g.name.strip(): g.id for g in db.session.scalars(
            sa.select(Grid).where(Grid.village_id == village.id))}
        added = [Household(
            village_id=village.id, number=r["number"], head_name=r["head_name"],
            members=int(r["members"] or 1), address=r["address"], phone=r["phone"],
            grid_id=grids.get(r["grid"]) if r["grid"] else None) for r in rows]
        db.session.add_all(added)
        rollup.households(village.id, len(added), sum(h.members for h in added))
        audit.record("households_imported", target=f"village:{village.id}",
                     detail=f"{len(rows)} from {pending['filename']}", actor=user)
    return len(rows)


def _save_pending(village: Region, user: User, preview: Preview) -> str:
    return save_pending({"village_id": village.id, "user_id": user.id, "filename": preview.filename,
                         "notice": preview.notice, "rows": preview.rows})
