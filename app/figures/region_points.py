"""The regions' points by rule category (FigureRegionPoints): each village's points by rule
(FigurePoints) added to the township, county and city above it under its rule's category name,
in the same transaction, so a region's "points by rule category" reads a row a month and
category, not one a village, month and rule.

What changes a region's sums, and who calls here:
- a ledger write that keeps FigurePoints: rule_points.add calls `lock`, then `added`;
- a rule moved to another category: app/ledger/rules.update_rule calls `recategorised`;
- a village moved to another township: app/regions/manage.move_village calls `moved`.
Nothing else can: categories are never renamed or deleted, rules never change village, regions
are never deleted nor re-parented but by that move, and a merge moves no entry (each stays with
its own village, whose place does not change). Rows move by relative upsert
(`points = points + :d`) in key order, as app/figures/regions.py does.

On PostgreSQL every writer takes regions.lock's advisory lock on the villages it touches before
it reads a path or a category name (a ledger write: its entries' villages and its rules' own,
since an imported entry may name another village's rule; a category change: the rule's village
and every village holding its points; a move: the village). So of two writers the second reads
what the first wrote: a ledger write after a category change reads the new name, a category
change after a ledger write moves its points too, and a move and a category change each read the
other's path or name afresh. SQLite's writers are serialised anyway.
"""
from collections import Counter
from typing import Iterable

import sqlalchemy as sa

from app.database import add_to, on_postgresql
from app.extensions import db
from app.figures import regions
from app.models import Region, Rule, RuleCategory
from app.models.figure_points import FigurePoints, FigureRegionPoints
from app.rankings.recount import differences

table = FigureRegionPoints.__table__
points_table = FigurePoints.__table__


def _above(village_ids: Iterable[int]) -> dict[int, list[int]]:
    """{village: the regions above it}, read afresh (a concurrent move may have changed them)."""
    ids = sorted(set(village_ids))
    return {v: [int(p) for p in (path or "").strip("/").split("/") if p][:-1]
            for v, path in db.session.execute(
                sa.select(Region.id, Region.path).where(Region.id.in_(ids)))}


def _add(sums: dict[tuple[int, int, str], int]) -> None:
    """Add points ({(region, month, category): n}) to the regions' rows, in key order."""
    add_to(table, ["region_id", "month", "category"],
           [{"region_id": r, "month": m, "category": c, "points": n}
            for (r, m, c), n in sorted(sums.items()) if n])


def lock(sums: dict[tuple[int, int, int], int]) -> None:
    """Before a ledger write's rows ({(village, month, rule): n}): wait for any other writer of
    its villages or its rules' villages (PostgreSQL)."""
    if not on_postgresql():
        return
    rules = sorted({r for _v, _m, r in sums})
    own = db.session.scalars(sa.select(Rule.village_id).where(Rule.id.in_(rules)))
    regions.lock({v for v, _m, _r in sums} | set(own))


def added(sums: dict[tuple[int, int, int], int]) -> None:
    """Villages' points by rule moved by `sums` ({(village, month, rule): n}, after `lock`):
    move the regions above them, under each rule's category name now."""
    names = dict(db.session.execute(
        sa.select(Rule.id, RuleCategory.name).join(RuleCategory, RuleCategory.id == Rule.category_id)
        .where(Rule.id.in_(sorted({r for _v, _m, r in sums})))).all())
    above = _above(v for v, _m, _r in sums)
    found: Counter = Counter()
    for (village, month, rule), n in sums.items():
        for region in above.get(village, ()):
            found[region, month, names[rule]] += n
    _add(found)


def recategorised(rule_id: int, village_id: int, old: str, new: str) -> None:
    """The rule (of `village_id`) moved from category `old` to `new`: its points, in every month
    and every region above the villages they were given in, move from the old name to the new."""
    if old == new:
        return
    c = points_table.c
    villages = set(db.session.scalars(sa.select(c.village_id).where(c.rule_id == rule_id)
                                      .distinct())) | {village_id}
    regions.lock(villages)
    rows = db.session.execute(sa.select(c.village_id, c.month, c.points)
                              .where(c.rule_id == rule_id, c.points != 0)).all()
    # A village first given the rule's points meanwhile (only an import names another village's
    # rule): its writer held the rule's village, so it has committed; lock it too.
    regions.lock({v for v, _m, _n in rows} - villages)
    above = _above(v for v, _m, _n in rows)
    found: Counter = Counter()
    for village, month, n in rows:
        for region in above.get(village, ()):
            found[region, month, old] -= n
            found[region, month, new] += n
    _add(found)


def moved(village_id: int, before: list[int]) -> None:
    """The village left the regions `before` (its old ancestors) for its new place: take its
    points by category from the regions it left and add them to those it joined."""
    regions.lock([village_id])
    now = set(_above([village_id]).get(village_id, []))
    left, joined = set(before) - now - {village_id}, now - set(before)
    if not (left or joined):
        return
    c = points_table.c
    found: Counter = Counter()
    for month, name, n in db.session.execute(
            sa.select(c.month, RuleCategory.name, sa.func.sum(c.points))
            .join(Rule, Rule.id == c.rule_id).join(RuleCategory, RuleCategory.id == Rule.category_id)
            .where(c.village_id == village_id).group_by(c.month, RuleCategory.name)):
        for region in joined:
            found[region, month, name] += int(n)
        for region in left:
            found[region, month, name] -= int(n)
    _add(found)


# The regions' points recounted from the villages' points by rule (for `flask figures
# rebuild|verify`, the migration that added them and the bench's bulk load): every village's
# rows added to each region above it, under its rule's category name now.
# The (region, village) pairs come first, as a subquery the planner keeps whole (DISTINCT): joined
# row by row instead, SQLite looked up each figure_points row's regions by a path range of half
# the tree (minutes for a city, against a tenth of a second).
RECOUNT = """
SELECT p.region_id AS region_id, f.month AS month, c.name AS category, sum(f.points) AS points
FROM (SELECT DISTINCT a.id AS region_id, v.id AS village_id FROM regions a {under}
      WHERE v.level = 4 AND a.level < 4) p
JOIN figure_points f ON f.village_id = p.village_id
JOIN rules r ON r.id = f.rule_id
JOIN rule_categories c ON c.id = r.category_id
GROUP BY p.region_id, f.month, c.name
HAVING sum(f.points) <> 0"""


def recount_query() -> sa.TextClause:
    """SELECT region_id, month, category, points recounted from the villages' points by rule."""
    return sa.text(RECOUNT.format(under=regions.UNDER))


def rebuild() -> int:
    """Replace the regions' rows with a recount (in the caller's transaction, after the points
    by rule are rebuilt); the rows written."""
    if on_postgresql():  # figure_points first, as its writers take it before this table
        db.session.execute(sa.text("LOCK TABLE figure_points, figure_region_points IN EXCLUSIVE MODE"))
    db.session.execute(sa.delete(table))
    db.session.execute(sa.insert(table).from_select(
        ["region_id", "month", "category", "points"], recount_query().columns()))
    # counted, not the INSERT's rowcount: psycopg gives -1 for an INSERT ... SELECT here
    return db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def stored() -> dict[tuple[int, int, str], int]:
    """{(region_id, month, category): points} as kept, zero rows left out."""
    return {(r, m, c): int(n) for r, m, c, n in db.session.execute(
        sa.select(table.c.region_id, table.c.month, table.c.category, table.c.points)) if n}


def expected() -> dict[tuple[int, int, str], int]:
    """{(region_id, month, category): points} recounted from the villages' points by rule."""
    return {(r, m, c): int(n) for r, m, c, n in db.session.execute(recount_query())}


def verify(limit: int = 100) -> list[str]:
    """Where the regions' rows disagree with their villages' points by rule (at most `limit`
    lines), read in one snapshot on PostgreSQL."""
    return differences(expected, stored, limit, lambda key, have, want: (
        f"region {key[0]} month {key[1]} category {key[2]}: points {have} expected {want}"))
