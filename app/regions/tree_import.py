"""Import of the region tree from a spreadsheet of division codes (.xlsx or .csv).

Columns: code and name, optionally level and parent code (checked against the code when given).
Level and parent follow from the code. A row whose code is already in the tree renames that
region when the name differs; nothing is ever duplicated and nothing is moved. Every bad row is
reported with all its reasons, and nothing is written unless every row is good (all or nothing).
"""
import re
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from app import audit
from app.access import permissions
from app.database import transaction
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.spreadsheets.pending import claim_pending, save_pending
from app.spreadsheets.read import (EXCEL_ERRORS, MAX_ROWS, cell_text, header_key, locate_header,
                                   read_table)
from app.models import Region, RegionLevel, User
from app.regions import codes
from app.regions.services import path_segment

NAME_MAX = 64
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ALIASES = {
    "code": {"code", "divisioncode", "代码", "代碼", "区划代码", "區劃代碼", "统计用区划代码",
             "統計用區劃代碼", "行政区划代码", "行政區劃代碼", "编码", "編碼"},
    "name": {"name", "名称", "名稱", "区划名称", "區劃名稱", "单位名称", "單位名稱", "地名"},
    "level": {"level", "级别", "級別", "层级", "層級"},
    "parent": {"parent", "parentcode", "上级代码", "上級代碼", "上级区划代码", "上級區劃代碼"},
}
# The export's headers, accepted in every language like the household import's.
LABELS = {"code": _l("Division code"), "name": _l("Name of the place"), "level": _l("Level"),
          "parent": _l("Parent code")}
LEVEL_WORDS = {
    RegionLevel.CITY: {"1", "city", "市", "地级市", "地級市"},
    RegionLevel.COUNTY: {"2", "county", "district", "县", "縣", "区", "區", "县级市", "縣級市",
                         "县区", "縣區"},
    RegionLevel.TOWNSHIP: {"3", "township", "town", "street", "乡", "鄉", "镇", "鎮", "街道",
                           "乡镇", "鄉鎮", "乡镇街道", "鄉鎮街道"},
    RegionLevel.VILLAGE: {"4", "village", "community", "村", "社区", "社區", "村社区", "村社區",
                          "村居"},
}


@dataclass
class Problem:
    """One bad row: its row number in the file and every reason it cannot be imported."""

    row: int
    code: str
    name: str
    reasons: list[str]


@dataclass
class TreePlan:
    """What a file would do to the tree: regions to add, to rename, already right, bad rows."""

    rows: list[dict]
    problems: list[Problem] = field(default_factory=list)
    new: list[dict] = field(default_factory=list)
    renamed: list[tuple[dict, str]] = field(default_factory=list)
    unchanged: int = 0
    notice: Optional[str] = None
    filename: str = ""
    token: Optional[str] = None

    @property
    def can_confirm(self) -> bool:
        """True when every row is good and something would change."""
        return not self.problems and bool(self.new or self.renamed) and self.token is not None


# ---- reading -------------------------------------------------------------------------------

def _aliases() -> dict[str, set[str]]:
    names = {key: set(values) for key, values in ALIASES.items()}
    for locale in current_app.config.get("LANGUAGES", ()):
        with force_locale(locale):
            for key, label in LABELS.items():
                names[key].add(header_key(str(label)))
    return names


def _locate_header(rows: list) -> Optional[tuple[int, dict[str, int]]]:
    return locate_header(rows, _aliases(), lambda columns: "code" in columns and "name" in columns)


def read_rows(filename: str, data: bytes) -> tuple[list[dict], Optional[str]]:
    """The data rows of an upload as dicts of text, and a notice about its encoding if any."""
    table, notice = read_table(filename, data, _locate_header)
    if notice:  # the shared notice speaks of people's names (姓名); these are places (名称)
        notice = _("This file is not UTF-8, so it was read as GBK/GB18030 (the Chinese Windows "
                   "encoding). Check that the place names below look right before importing.")
    located = _locate_header(table)
    if located is None:
        raise InvalidInput(_("No header row was found. The first row must name the columns "
                             "code (统计用区划代码) and name (名称)."))
    index, columns = located
    rows = []
    for number, cells in table[index + 1:]:
        def cell(key):
            col = columns.get(key)
            return cell_text(cells[col]) if col is not None and col < len(cells) else ""

        rows.append({"row": number, "code": codes.normalise(cell("code")), "name": cell("name"),
                     "level": cell("level"), "parent": codes.normalise(cell("parent"))})
    if not rows:
        raise InvalidInput(_("The file has a header row but no places below it."))
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("The file has more than %(max)d rows. Split it into smaller files.",
                             max=MAX_ROWS))
    return rows, notice


# ---- checking ------------------------------------------------------------------------------

def _level_word(text: str) -> Optional[RegionLevel]:
    key = header_key(text)
    return next((level for level, words in LEVEL_WORDS.items() if key in words), None)


def _row_reasons(row: dict, seen: dict, known: set[str]) -> list[str]:
    reasons = []
    code, name = row["code"], row["name"]
    for text in (code, name):
        if text in EXCEL_ERRORS:
            reasons.append(_("The cell holds the Excel error %(value)s.", value=text))
    if not code:
        reasons.append(_("The division code is missing."))
    elif not codes.is_valid(code):
        reasons.append(_("%(code)s is not a 12-digit division code of a city, county, township or "
                         "village.", code=code[:20]))
    elif len(seen[code]) > 1:
        others = ", ".join(str(r) for r in seen[code] if r != row["row"])
        reasons.append(_("Code %(code)s is also in row %(rows)s of this file.", code=code,
                         rows=others))
    else:
        level, parent = codes.level_of(code), codes.parent_code(code)
        if row["level"] and _level_word(row["level"]) != level:
            reasons.append(_("The level %(level)s does not match the code %(code)s.",
                             level=row["level"][:20], code=code))
        if row["parent"] and row["parent"] != parent:
            reasons.append(_("The parent code %(parent)s does not match the code %(code)s (its "
                             "parent is %(expected)s).", parent=row["parent"][:20], code=code,
                             expected=parent))
        if parent not in known and not codes.may_be_root(code):
            reasons.append(_("The place above it (code %(parent)s) is neither in this file nor "
                             "in the tree.", parent=parent))
    if not name:
        reasons.append(_("The name is missing."))
    elif CONTROL.search(name):
        reasons.append(_("The name contains invalid characters."))
    elif len(name) > NAME_MAX:
        reasons.append(_("The name is too long (at most %(max)d characters).", max=NAME_MAX))
    return reasons


def check(rows: list[dict]) -> TreePlan:
    """Every bad row, and what the good file would add and rename, against the tree as it is."""
    plan = TreePlan(rows)
    valid = [r["code"] for r in rows if codes.is_valid(r["code"])]
    existing = {r.code: r for r in _regions_by_code(set(valid) | {
        codes.parent_code(c) for c in valid} - {None})}
    seen: dict[str, list[int]] = {}
    for row in rows:
        seen.setdefault(row["code"], []).append(row["row"])
    known = set(valid) | set(existing)
    for row in rows:
        reasons = _row_reasons(row, seen, known)
        if reasons:
            plan.problems.append(Problem(row["row"], row["code"][:20], row["name"][:NAME_MAX],
                                         reasons))
        elif row["code"] not in existing:
            plan.new.append(row)
        elif existing[row["code"]].name != row["name"]:
            plan.renamed.append((row, existing[row["code"]].name))
        else:
            plan.unchanged += 1
    return plan


def _regions_by_code(wanted: set[str]) -> list[Region]:
    found, wanted = [], sorted(wanted)
    for start in range(0, len(wanted), 900):  # stay under SQLite's bound-parameter limit
        found += db.session.scalars(sa.select(Region).where(
            Region.code.in_(wanted[start:start + 900])))
    return found


# ---- writing -------------------------------------------------------------------------------

def apply(rows: list[dict], actor: Optional[User], filename: str = "") -> TreePlan:
    """Check the rows again and write them in one transaction, or nothing (TreeRefused).
    `actor` is None for the command line, which whoever runs the server may use."""
    if actor is not None:
        permissions.require(actor, "regions.import")
    with transaction(conflict=_("Someone changed the tree meanwhile. Nothing was imported. "
                                "Check the file again.")):
        plan = check(rows)
        if plan.problems:
            raise TreeRefused(plan)
        by_code = {r.code: r for r in _regions_by_code(
            {codes.parent_code(r["code"]) for r in plan.new} - {None})}
        for level in RegionLevel:  # parents before children
            _add_level(sorted((r for r in plan.new if codes.level_of(r["code"]) == level),
                              key=lambda r: r["code"]), level, by_code)
        renames = {r["code"]: r["name"] for r, _old in plan.renamed}
        for region in _regions_by_code(set(renames)):
            region.name = renames[region.code]
        audit.record("regions_imported", target="regions",
                     detail=f"{len(plan.new)} new, {len(plan.renamed)} renamed, "
                            f"{plan.unchanged} unchanged, from {filename}"[:500], actor=actor)
    return plan


def _add_level(batch: list[dict], level: RegionLevel, by_code: dict[str, Region]) -> None:
    """Create one level's new regions under their parents (already in `by_code`), with paths."""
    made = [Region(name=r["name"], code=r["code"], level=level, active=True,
                   parent_id=by_code[p].id if (p := codes.parent_code(r["code"])) in by_code
                   else None) for r in batch]
    db.session.add_all(made)
    db.session.flush()
    for region in made:
        parent = by_code.get(codes.parent_code(region.code))
        region.path = (parent.path if parent else "/") + path_segment(region.id)
        by_code[region.code] = region
    db.session.flush()


class TreeRefused(Conflict):
    """The file has bad rows (or the tree changed since the preview): nothing was imported."""

    def __init__(self, plan: TreePlan):
        super().__init__(_("Nothing was imported: some rows have problems."))
        self.plan = plan


def preview_upload(filename: str, data: bytes, actor: User) -> TreePlan:
    """Read and check an upload; keep it server-side when every row is good. Writes nothing."""
    rows, notice = read_rows(filename, data)
    plan = check(rows)
    plan.notice, plan.filename = notice, filename[:100]
    if not plan.problems and (plan.new or plan.renamed):
        plan.token = save_pending({"kind": "regions", "user_id": actor.id,
                                   "filename": plan.filename, "notice": notice, "rows": rows})
    return plan


def confirm(token: str, actor: User) -> TreePlan:
    """Import a previewed file, checked again against the tree as it is now."""
    pending = claim_pending(token)
    if pending is None or pending.get("kind") != "regions" or pending["user_id"] != actor.id:
        raise InvalidInput(_("This import has expired or was already done. Upload the file again."))
    try:
        return apply(pending["rows"], actor, pending["filename"])
    except TreeRefused as refused:
        refused.plan.filename, refused.plan.notice = pending["filename"], pending.get("notice")
        raise
