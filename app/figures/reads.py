"""The figures officials are judged by, per region and period, for every village under it.

The figures come from the rollup the services keep in their own transactions (app/models/figure.py,
app/figures/rollup.py): per village and local month, so the period is whole months. A page of the
villages table reads its villages' rows only (`page`); a region's totals come from its own
monthly summary (app/figures/regions.py), a row a month (`total`). Sorting the table by a figure
reads that figure of every village under the region, one GROUP BY village_id over the months
asked for; the .xlsx, which lists every village, reads them all (`figures`). Households
reached and cadres are distinct over the period: they are summed from the counts by month and
previous month seen (a household or cadre counts at its first month in the period), a village's
cadres from its own counts and the region's total from the region's, so a cadre of several
villages counts once.
An issue counts in the month it was raised, with how it was settled since; a meeting and its
check-ins in the month it starts, once opened.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
import operator
from functools import lru_cache, reduce
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.figures import rollup
from app.i18n import name_key
from app.database import on_postgresql
from app.models import (FigureCadre, FigureCadreCount, FigureCadreLatest, FigureMonth, FigureMonthTotal,
                        FigureReachCount, FigureReachLatest, FigureRegionMonth, FigureRegionReach,
                        FigureVillage, Issue, Region, RegionLevel)
from app.models.base import utcnow
from app.models.issue import OPEN_STATUSES
from app.models.region import subtree_clause

FORMATS = ("group", "forum", "home_visit", "reception", "online")
LEVELS = (1, 2, 3, 4)
COLUMNS = ("meetings", "cadres", "reached", "attendance_rate", "issues", "suggestions", "resolved",
           "on_time", "overdue", "avg_days", "satisfaction")


@dataclass
class Row:
    """One village's figures (or the region's totals)."""

    village_id: Optional[int]
    name: str
    households: int = 0
    by_format: dict = field(default_factory=lambda: dict.fromkeys(FORMATS, 0))
    by_level: dict = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    attendances: int = 0
    reached: int = 0
    issues: int = 0
    suggestions: int = 0
    resolved: int = 0
    on_time: int = 0
    overdue: int = 0
    resolve_days: float = 0.0
    answered: int = 0
    satisfied: int = 0
    # Households invited, summed over meetings; None: every active household to every meeting.
    invited_sum: Optional[int] = None

    @property
    def meetings(self) -> int:
        return sum(self.by_format.values())

    @property
    def cadres(self) -> int:
        return sum(self.by_level.values())

    @property
    def attendance_rate(self) -> Optional[float]:
        """Check-ins per household invited (every active household, to every meeting held); for
        totals, over the villages' own invitations, not all meetings times all households."""
        invited = self.meetings * self.households if self.invited_sum is None else self.invited_sum
        return self.attendances / invited if invited else None

    @property
    def avg_days(self) -> Optional[float]:
        return self.resolve_days / self.resolved if self.resolved else None

    @property
    def satisfaction(self) -> Optional[float]:
        return self.satisfied / self.answered if self.answered else None

    def value(self, column: str):
        """The value of a column, for sorting (missing ones last)."""
        return getattr(self, column)


def _villages(root: Region) -> sa.Select:
    query = sa.select(Region.id).where(Region.level == RegionLevel.VILLAGE)
    return query if root is None else query.where(subtree_clause(Region.path, root.path))


def month_number(day: date) -> int:
    """A date's month as the rollup numbers it, YYYYMM."""
    return day.year * 100 + day.month


def figures(root: Optional[Region], first: date, last: date, today: date) -> tuple[list[Row], Row]:
    """Every village's figures under `root` (None: everything) for the months from `first`'s to
    `last`'s (inclusive), and the totals; overdue is as of `today`. For the .xlsx, which lists
    every village: the page reads one page of them (`page`) and the totals (`total`)."""
    months = (month_number(first), month_number(last))
    rows = _rows(_villages(root), months, today)
    return list(rows.values()), total(root, first, last, today, rows.values())


def _rows(villages, months: tuple[int, int], today: date,
          known: Optional[tuple[str, dict[int, int]]] = None) -> dict[int, Row]:
    """{village_id: Row} of the villages (a query of their ids, or a list of a page of them);
    `known`: (column, {village_id: value}) of a column of _KNOWN already counted (the page's
    sort), not read again."""
    rows = {vid: Row(vid, name) for vid, name in db.session.execute(
        sa.select(Region.id, Region.name).where(Region.id.in_(villages)))}

    def each(query):
        for record in db.session.execute(query):
            if record[0] in rows:
                yield rows[record[0]], record[1:]

    def period(model):
        return model.village_id.in_(villages), model.month.between(*months)

    # Active households from the register's counter (app/figures/rollup.households), not a count
    # of the city's some 800,000 households per request.
    for row, (n,) in each(sa.select(FigureVillage.village_id, FigureVillage.households)
                          .where(FigureVillage.village_id.in_(villages))):
        row.households = n
    sums = [sa.func.coalesce(sa.func.sum(FigureMonth.__table__.c[f]), 0) for f in rollup.FIELDS]
    for row, values in each(sa.select(FigureMonth.village_id, *sums).where(*period(FigureMonth))
                            .group_by(FigureMonth.village_id)):
        _fill(row, dict(zip(rollup.FIELDS, map(int, values))))  # PostgreSQL sums bigints as numeric
    cadres = FigureCadreCount
    by_level = [sa.func.coalesce(sa.func.sum(sa.case((cadres.level == level, cadres.cadres))), 0)
                for level in LEVELS]  # one row a village, not one a village and level
    for row, counts in each(sa.select(cadres.region_id, *by_level)
                            .where(cadres.region_id.in_(villages), *_first_seen(cadres, months))
                            .group_by(cadres.region_id)):
        row.by_level = dict(zip(LEVELS, map(int, counts)))
    column, values = known or (None, {})
    for vid, n in values.items():
        if vid in rows:  # the page's; the one after it only told that more follow
            setattr(rows[vid], column, n)
    reach = FigureReachCount
    if column != "reached":
        for row, (n,) in each(sa.select(reach.village_id, sa.func.sum(reach.households))
                              .where(reach.village_id.in_(villages), *_first_seen(reach, months))
                              .group_by(reach.village_id)):
            row.reached = int(n)
    # Overdue is about now, not the period: open issues past their deadline, by the
    # (status, deadline) index, so it costs what is overdue, not what was ever raised.
    if column != "overdue":
        for row, (n,) in each(sa.select(Issue.village_id, sa.func.count()).where(
                Issue.status.in_(OPEN_STATUSES), Issue.deadline < today,
                Issue.village_id.in_(villages)).group_by(Issue.village_id)):
            row.overdue = n
    return rows


def _fill(row: Row, found: dict) -> None:
    """Set a row's counters from the rollup's sums ({field: n})."""
    for fmt in FORMATS:
        row.by_format[fmt] = found[f"meetings_{fmt}"]
    (row.attendances, row.issues, row.suggestions, row.resolved, row.on_time, row.answered,
     row.satisfied) = (found[k] for k in ("attendances", "issues", "suggestions", "resolved",
                                           "on_time", "answered", "satisfied"))
    row.resolve_days = found["resolve_seconds"] / 86400.0


RATES = ("attendance_rate", "avg_days", "satisfaction")  # None where nothing to divide by


def _counted(villages, column: str, months: tuple[int, int], today: date) -> sa.Select:
    """(vid, value) of a column of _GROUPED (cadres, reached, overdue) for the villages that have
    a row to count from: one GROUP BY village_id of the one figure.
    `villages`: a query of the villages' ids, or None for every village (the caller's join
    keeps those under its region): for a region at the top of the tree the test of each row
    against the villages under it cost more than the count (a city's 17,500 rows reached)."""
    def under(village_id):
        return () if villages is None else (village_id.in_(villages),)

    if column == "cadres":
        c = FigureCadreCount
        return (sa.select(c.region_id.label("vid"), sa.func.sum(c.cadres).label("value"))
                .where(*under(c.region_id), *_first_seen(c, months)).group_by(c.region_id))
    if column == "reached":
        # Month by month (the index (month, since, ...)): each month's rows with since before
        # the period, not every row of the period's months.
        r = FigureReachCount
        return (sa.select(r.village_id.label("vid"), sa.func.sum(r.households).label("value"))
                .where(*under(r.village_id), _each_month(r.month, months), r.since < months[0])
                .group_by(r.village_id))
    return (sa.select(Issue.village_id.label("vid"), sa.func.count().label("value")).where(
        Issue.status.in_(OPEN_STATUSES), Issue.deadline < today, *under(Issue.village_id))
        .group_by(Issue.village_id))  # overdue


MONTHS_LISTED = 60  # a longer period is asked as a range


def _each_month(column, months: tuple[int, int]) -> sa.ColumnElement:
    """`column` (a YYYYMM month) in the period: the months listed, so an index led by the month
    is one seek a month (with the next column's range inside it), or a range for a long one."""
    first, last = months
    listed = []
    while first <= last and len(listed) <= MONTHS_LISTED:
        listed.append(first)
        first = rollup.month_after(first)
    if len(listed) > MONTHS_LISTED:
        return column.between(*months)
    return column.in_(listed)


def _rate_page(villages: sa.Select, column: str, months: tuple[int, int], descending: bool,
               start: int, size: int) -> list[int]:
    """The ids of the villages at positions `start` to `start + size` sorted by a rate (RATES)
    over the period, ties by id; those with nothing to divide by last, by id either way (as
    sort_rows has them). Each rate by Row's arithmetic in double precision, so equal rates tie
    here as they do there; ordered and cut to the page by the database."""
    fields = {"attendance_rate": ("attendances", "meetings"), "avg_days": ("resolve_seconds", "resolved"),
              "satisfaction": ("satisfied", "answered")}[column]
    query, sums, params = _period_sums(villages, months, fields)
    numerator, denominator = (sums[f] for f in fields)
    if column == "attendance_rate":  # check-ins per household invited to each meeting held
        query = query.outerjoin(FigureVillage, FigureVillage.village_id == Region.id)
        denominator = denominator * sa.func.coalesce(FigureVillage.households, 0)
    value = sa.cast(numerator, sa.Double)
    if column == "avg_days":
        value = value / 86400.0
    # Each village's rate once, in a subquery kept whole (OFFSET 0): in ORDER BY, three times
    # over, PostgreSQL planned a subplan per use, and their cost estimate set off JIT
    # compilation (70 ms for a city's villages).
    rated = (query.add_columns((value / sa.func.nullif(denominator, 0)).label("rate"))
             .offset(0).subquery())
    rate = rated.c.rate
    missing = rate.is_(None)
    order = (missing, rate.desc() if descending else rate, sa.case((missing, rated.c.id)),
             rated.c.id.desc() if descending else rated.c.id)
    return list(db.session.scalars(sa.select(rated.c.id).order_by(*order).offset(start)
                                   .limit(size + 1), params))


def _period_sums(villages: sa.Select, months: tuple[int, int], fields: tuple[str, ...]
                 ) -> tuple[sa.Select, dict[str, sa.ColumnElement], dict[str, int]]:
    """`villages` (a query of Region) joined to each village's running totals (FigureMonthTotal)
    at the period's last month and at the month before its first; {field: the village's sum over
    the period} of counters of FigureMonth (or "meetings", every format): the total at or before
    the last month less the total before the first; and the parameters to execute it with."""
    upto, on_upto, below, on_below, sums = _sum_parts(fields)
    query = villages.outerjoin(upto, on_upto).outerjoin(below, on_below)
    first, last = months
    return query, sums, {"sums_first": first, "sums_last": last,
                         "sums_before": rollup.month_before(first)}


@lru_cache(maxsize=None)
def _sum_parts(fields: tuple[str, ...]):
    """_period_sums' joins and sums for these fields, with the period as bound parameters, built
    once: building them cost more than running them (a city's 1,950 villages). The join reads
    the row of the month itself where the village has one; else its latest before is a seek."""
    table = FigureMonthTotal.__table__
    first, last, before = (sa.bindparam(f"sums_{name}", type_=sa.Integer)
                           for name in ("first", "last", "before"))
    upto, below = table.alias("sums_upto"), table.alias("sums_below")

    def value(totals, field: str) -> sa.ColumnElement:
        if field == "meetings":
            return reduce(operator.add, (totals.c[f"meetings_{f}"] for f in FORMATS))
        return totals.c[field]

    def latest(field: str, bound) -> sa.ScalarSelect:
        t = table.alias()
        return (sa.select(value(t, field)).where(t.c.village_id == Region.id, bound(t.c.month))
                .order_by(t.c.month.desc()).limit(1).scalar_subquery())

    sums = {field: sa.func.coalesce(value(upto, field), latest(field, lambda m: m <= last), 0)
            - sa.func.coalesce(value(below, field), latest(field, lambda m: m < first), 0)
            for field in fields}
    return (upto, sa.and_(upto.c.village_id == Region.id, upto.c.month == last),
            below, sa.and_(below.c.village_id == Region.id, below.c.month == before), sums)


def page(root: Optional[Region], first: date, last: date, today: date, sort: str,
         descending: bool, start: int, size: int) -> tuple[list[Row], bool]:
    """The villages under `root` from position `start` to `start + size` in the order of `sort`
    (a column of COLUMNS, else the name), and whether more follow: only the page's villages get
    all their figures. Sorting by a figure reads that figure of every village over the period."""
    months = (month_number(first), month_number(last))
    villages = _villages(root)
    known: dict[int, int] = {}
    if sort in _GROUPED + _SUMMED:
        known = _counted_page(root, villages, sort, months, today, descending, start, size)
        ids = list(known)
    elif sort in COLUMNS:  # a rate
        ids = _rate_page(villages, sort, months, descending, start, size)
    else:
        # By the stored pinyin key (app.i18n.sort_key, in name_key's order), ties by id as the
        # figures' sorts have them: an index walk of one page, not every name under a city
        # read and sorted here.
        order = (Region.sort_key.desc(), Region.id.desc()) if descending else (Region.sort_key, Region.id)
        ids = list(db.session.scalars(villages.order_by(*order).offset(start).limit(size + 1)))
    ids, more = ids[:size], len(ids) > size
    rows = _rows(ids, months, today, (sort, known) if sort in _KNOWN else None) if ids else {}
    return [rows[vid] for vid in ids], more


def _counted_page(root: Optional[Region], villages: sa.Select, sort: str, months: tuple[int, int],
                  today: date, descending: bool, start: int, size: int) -> dict[int, int]:
    """{village id: value} of the villages at positions `start` to `start + size` (one more than
    a page: whether more follow) sorted by a counted column, ties by id: a count (0 where a
    village has no row) ordered and cut to the page by the database, not every village's id and
    value read and sorted here. The page's values come with it: households reached and overdue
    are then not read again for the page's rows."""
    params: dict[str, int] = {}
    if sort in _SUMMED:
        query, sums, params = _period_sums(villages, months, (sort,))
        value = sums[sort].label("value")
        query = query.add_columns(value)
    elif sort in _LATEST and _runs_to_the_latest(_LATEST[sort], months):
        # A period running to now: a village's households reached (or cadres) are one row of
        # FigureReachLatest (FigureCadreLatest), most often the one of the period's first month,
        # not a sum of its months' counts.
        model = _LATEST[sort]
        at = so.aliased(model)
        value = sa.func.coalesce(getattr(at, model.counter), _latest_from(model, months[0]),
                                 0).label("value")
        query = villages.add_columns(value).outerjoin(
            at, sa.and_(at.village_id == Region.id, at.month == months[0]))
    else:
        # Under a region at the top of the tree, count every village's figure: the join below
        # keeps the villages under it (the page's region), whichever else stands at the top.
        found = _counted(None if root is None or root.parent_id is None else villages, sort,
                         months, today).subquery()
        if descending and sort != "cadres" and (root is None or _holds_everything(root)):
            # Largest first under a region holding every village: the counts alone, cut to the
            # page, when the page ends on a village with some (every village without a count
            # comes after it). A city's overdue: its 3,900 issues grouped, not also joined to
            # its 1,950 villages. (The cadres' counts have the regions above the villages too.)
            top = db.session.execute(sa.select(found.c.vid, found.c.value)
                                     .order_by(found.c.value.desc(), found.c.vid.desc())
                                     .offset(start).limit(size + 1)).all()
            if len(top) == size + 1 and top[-1].value > 0:
                return {vid: int(n) for vid, n in top}
        value = sa.func.coalesce(found.c.value, 0).label("value")
        query = villages.add_columns(value).outerjoin(found, found.c.vid == Region.id)
    order = (value.desc(), Region.id.desc()) if descending else (value, Region.id)
    return {vid: int(n) for vid, n in db.session.execute(
        query.order_by(*order).offset(start).limit(size + 1), params)}


def _runs_to_the_latest(model, months: tuple[int, int]) -> bool:
    """Whether the period ends at or after the latest month in the latest-month table (by its
    index led by the month: one seek): no household (or cadre) was seen after it."""
    latest = db.session.scalar(sa.select(sa.func.max(model.month)))
    return latest is None or months[1] >= latest


def _latest_from(model, month: int) -> sa.ScalarSelect:
    """The households (or cadres) of the village (the outer query's Region) seen from `month` to
    the latest month: the table's row of its first month at or after `month` (asked only where
    it has none at `month`)."""
    return (sa.select(getattr(model, model.counter)).where(model.village_id == Region.id,
                                                           model.month >= month)
            .order_by(model.month).limit(1).scalar_subquery())


# The latest-month tables that count a column over a period running to now.
_LATEST = {"reached": FigureReachLatest, "cadres": FigureCadreLatest}
_GROUPED = ("cadres", "reached", "overdue")  # counted by _counted (or to now: _LATEST)
_SUMMED = ("meetings", "issues", "suggestions", "resolved", "on_time")  # _period_sums of the months
_KNOWN = ("reached", "overdue")  # a page sorted by one of these has its values: _rows skips them


def total(root: Optional[Region], first: date, last: date, today: date, rows=None,
          overdue: Optional[dict[int, int]] = None) -> Row:
    """The totals of the villages under `root` for the period: a village's own figures; a
    region's from its monthly summary (app/figures/regions.py), a row a month, whatever the
    number of villages under it. `rows`: the villages' figures when already read (a village's
    page holds its own row); `overdue`: overdue_by_month's answer when already read."""
    months = (month_number(first), month_number(last))
    if root is not None and root.is_village:
        if rows is None or [r.village_id for r in rows] != [root.id]:
            rows = _rows([root.id], months, today).values()
        return _totals(rows, root, months)
    regions = summarised_regions(root)
    total = Row(None, "", invited_sum=0)
    m = FigureRegionMonth.__table__.c
    fields = rollup.FIELDS + ("invited",)
    found = db.session.execute(sa.select(*(sa.func.coalesce(sa.func.sum(m[f]), 0) for f in fields))
                               .where(m.region_id.in_(regions), m.month.between(*months))).one()
    found = dict(zip(fields, map(int, found)))
    _fill(total, found)
    total.invited_sum = found["invited"]
    reach = FigureRegionReach
    total.reached = int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(reach.households), 0))
        .where(reach.region_id.in_(regions), *_first_seen(reach, months))))
    total.households = int(db.session.scalar(_under(
        sa.select(sa.func.coalesce(sa.func.sum(FigureVillage.households), 0)),
        FigureVillage.village_id, root)))
    if overdue is None:
        overdue = overdue_by_month(root, [], today)
    total.overdue = sum(overdue.values())
    total.by_level = _cadres(root, months)
    return total


def _under(query: sa.Select, village_id, root: Optional[Region]) -> sa.Select:
    """`query` limited to rows whose village (`village_id`) lies under `root` (None: all), by a
    join on the village's path: on SQLite half the time of IN (the villages under it). No join
    when `root` is the only region at the top, which holds every village (a city's own page):
    the join was a lookup a row, a third of the city's overdue pass."""
    if root is None or _holds_everything(root):
        return query
    return query.join(Region, Region.id == village_id).where(subtree_clause(Region.path, root.path))


def _holds_everything(root: Region) -> bool:
    """Whether every region lies under `root`: it is at the top and no other region is."""
    return root.parent_id is None and not db.session.scalar(sa.select(sa.exists().where(
        Region.parent_id.is_(None), Region.id != root.id)))


def overdue_by_month(root: Optional[Region], months: list[int], today: date) -> dict[int, int]:
    """The open issues under `root` past their deadline on `today`, by the local month they were
    raised: {YYYYMM: n} for the `months` asked for that have some, and {0: n} for all others. One
    pass over what is overdue (the (status, deadline) index) serves the totals' "overdue now"
    (the sum) and the chart's series (the months), which were a pass each. Each month is its
    first local midnight in UTC, found by a balanced CASE over the months and the two spans
    outside them (four comparisons a row for a year, not six); only months that can hold one
    are asked: none is raised in a month still to come, nor (for a period typed from year 1)
    before 1970."""
    months = [k for k in months if 197001 <= k <= rollup.month_of(utcnow())]
    month: sa.ColumnElement = sa.literal(0)
    if months:
        zone = rollup.zone()
        after = rollup.month_after(months[-1])
        # Span i (0 before the first month, then the months, then after them) is raised from
        # bounds[i - 1] to bounds[i].
        bounds = [datetime(k // 100, k % 100, 1, tzinfo=zone) for k in months + [after]]
        labels = [0] + months + [0]
        created = _comparable(Issue.created_at)

        def within(low: int, high: int) -> sa.ColumnElement:
            if high - low == 1:
                return sa.literal(labels[low])
            middle = (low + high) // 2
            return sa.case((created < bounds[middle - 1], within(low, middle)),
                           else_=within(middle, high))

        month = within(0, len(labels))
    raised = _under(sa.select(month.label("month")).select_from(Issue).where(
        Issue.status.in_(OPEN_STATUSES), Issue.deadline < today), Issue.village_id, root).subquery()
    return {k: n for k, n in db.session.execute(
        sa.select(raised.c.month, sa.func.count()).group_by(raised.c.month))}


def _comparable(moment: sa.ColumnElement) -> sa.ColumnElement:
    """A timestamp column to compare with many bound timestamps: on SQLite as `+column`, which
    has no type affinity, so each bound text is compared as it is instead of first being tried
    as a number (the column's DATETIME affinity), a third of a city's overdue pass."""
    if on_postgresql():
        return moment
    return sa.UnaryExpression(moment, operator=sa.sql.operators.custom_op("+"), type_=moment.type)


def summarised_regions(root: Optional[Region]):
    """The regions whose monthly summary (app/figures/regions.py) holds the figures under `root`:
    itself, or for everything (no root) the tree's roots, whatever their level (a county may
    stand at the root: regions/codes.may_be_root)."""
    if root is not None:
        return [root.id]
    return sa.select(Region.id).where(Region.parent_id.is_(None))


def _first_seen(model, months: tuple[int, int]) -> tuple:
    """Count rows of the months asked for whose previous month seen is before them."""
    return model.month.between(*months), model.since < months[0]


def _totals(rows, root: Optional[Region], months: tuple[int, int]) -> Row:
    total = Row(None, "", invited_sum=0)
    for row in rows:
        total.invited_sum += row.meetings * row.households
        for name in ("households", "attendances", "reached", "issues", "suggestions", "resolved",
                     "on_time", "overdue", "resolve_days", "answered", "satisfied"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        for fmt in FORMATS:
            total.by_format[fmt] += row.by_format[fmt]
    total.by_level = _cadres(root, months)
    return total


def _cadres(root: Optional[Region], months: tuple[int, int]) -> dict:
    """The region's cadres by level: a cadre who visited several villages counts once, from the
    region's own counts, or for everything (no root, the administrator) counted distinct."""
    by_level = dict.fromkeys(LEVELS, 0)
    if root is not None:
        query = (sa.select(FigureCadreCount.level, sa.func.sum(FigureCadreCount.cadres))
                 .where(FigureCadreCount.region_id == root.id, *_first_seen(FigureCadreCount, months))
                 .group_by(FigureCadreCount.level))
    else:
        query = (sa.select(FigureCadre.level, sa.func.count(sa.distinct(FigureCadre.cadre)))
                 .where(FigureCadre.month.between(*months)).group_by(FigureCadre.level))
    for level, n in db.session.execute(query):
        by_level[level] = int(n)
    return by_level


@lru_cache(maxsize=8192)
def _name_key(name: str) -> tuple:
    """The pinyin sort key of a village's name, remembered: computing it is some 0.2 ms a name,
    most of the city page's time for 1,950 villages, and names seldom change (a renamed village
    just gets a new entry)."""
    return name_key(name)


def sort_rows(rows: list[Row], column: str, descending: bool) -> list[Row]:
    """Rows by a column of COLUMNS (or by name); villages without a value go last."""
    if column not in COLUMNS:
        return sorted(rows, key=lambda r: _name_key(r.name), reverse=descending)
    present = [r for r in rows if r.value(column) is not None]
    missing = [r for r in rows if r.value(column) is None]
    return sorted(present, key=lambda r: (r.value(column), r.village_id), reverse=descending) + missing
