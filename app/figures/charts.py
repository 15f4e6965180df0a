"""The figures page's charts: monthly series of a region, points by rule category, the villages.

Each monthly series of a region above the village is one GROUP BY month over its own monthly
summary (app/figures/regions.py), a row a month; a village's over its rollup
(app/models/figure.py); never a scan of meetings and issues. Overdue issues are counted by the
month they were raised from the open issues past their deadline only (the (status, deadline)
index), in the same pass as the table's "overdue now" (reads.overdue_by_month).
Points by rule category come from the ledger's own summary by village, month and rule
(app/models/figure_points.py, kept by app/ledger/services.py), for a region above the village
from its sum by month and category name (app/figures/region_points.py): a reversal takes its
points off the month of the entry it reverses; categories are matched by name across villages.
A village's page compares its grids by households and points gained (the rankings' summary);
meetings and issues are kept by village, not grid, so they have no grid chart.
Each chart is a plain dict (a "spec"): the template draws it (static/js/charts.js), shows it as
a table and the .xlsx download writes it, so the three always agree.
"""
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.figures import reads as figures, rollup
from app.models.meeting import FORMATS
from app.models import (FigureMonth, FigurePoints, FigureReachCount, FigureRegionMonth,
                        FigureRegionPoints, FigureRegionReach, FigureVillage, Grid, Household,
                        RankingMonth, Region)
from app.models.ledger import Rule, RuleCategory

NAMES = ("meetings", "reach", "issues", "categories", "grids", "villages")


def months_between(first: date, last: date) -> list[int]:
    """The months from `first`'s to `last`'s (inclusive), as YYYYMM."""
    months, month, end = [], figures.month_number(first), figures.month_number(last)
    while month <= end:
        months.append(month)
        month = rollup.month_after(month)
    return months


def _label(month: int) -> str:
    return f"{month // 100}-{month % 100:02d}"


def _spec(name: str, title: str, kind: str, categories: list, series: list, stack=False,
          first: Optional[str] = None) -> dict:
    """A chart: its categories (the x axis, the table's first column, headed `first`) and series."""
    return {"id": name, "title": title, "kind": kind, "stack": stack, "first": first or _("Month"),
            "categories": [str(c) for c in categories], "series": series}


def _series(name: str, data: list, kind: Optional[str] = None, axis: int = 0,
            percent: bool = False) -> dict:
    """A series: on the left axis (0) or the right (1), percentages drawn from 0 to 100."""
    entry = {"name": str(name), "data": data, "axis": axis, "percent": percent}
    if kind:
        entry["kind"] = kind
    return entry


def monthly(root: Optional[Region], first: date, last: date, today: date,
            overdue: Optional[dict[int, int]] = None) -> dict:
    """The region's months: {"months": [YYYYMM], counters by month, invited, reached, overdue}.
    `overdue`: reads.overdue_by_month's answer for these months when the page has read it."""
    villages = figures._villages(root)
    months = months_between(first, last)
    span = (months[0], months[-1])
    if root is None or not root.is_village:
        found, reached = _region_months(root, span)
    else:
        found, reached = _village_months(villages, span)
    if overdue is None:
        overdue = figures.overdue_by_month(root, months, today)
    overdue = {k: overdue.get(k, 0) for k in months}
    empty = dict.fromkeys(rollup.FIELDS + ("invited",), 0)
    return {"months": months, "counts": {k: found.get(k, empty) for k in months},
            "reached": {k: reached.get(k, 0) for k in months}, "overdue": overdue}


def _region_months(root: Optional[Region], span: tuple[int, int]) -> tuple[dict, dict]:
    """A region's counters and households reached by month, from its monthly summary
    (app/figures/regions.py): a row a month, whatever the number of villages under it."""
    regions = figures.summarised_regions(root)
    m = FigureRegionMonth.__table__.c
    fields = rollup.FIELDS + ("invited",)
    found = {month: dict(zip(fields, map(int, values))) for month, *values in db.session.execute(
        sa.select(m.month, *(sa.func.sum(m[f]) for f in fields))
        .where(m.region_id.in_(regions), m.month.between(*span)).group_by(m.month))}
    reach = FigureRegionReach
    reached = {month: int(n) for month, n in db.session.execute(
        sa.select(reach.month, sa.func.sum(reach.households))
        .where(reach.region_id.in_(regions), reach.month.between(*span)).group_by(reach.month))}
    return found, reached


def _village_months(villages, span: tuple[int, int]) -> tuple[dict, dict]:
    """A village's counters and households reached by month, from its own rollup."""
    m = FigureMonth
    held = sum(m.__table__.c[f"meetings_{f}"] for f in figures.FORMATS)
    sums = [sa.func.coalesce(sa.func.sum(m.__table__.c[f]), 0) for f in rollup.FIELDS]
    invited = sa.func.coalesce(sa.func.sum(held * sa.func.coalesce(FigureVillage.households, 0)), 0)
    found = {month: dict(zip(rollup.FIELDS + ("invited",), map(int, values)))
             for month, *values in db.session.execute(
                 sa.select(m.month, *sums, invited).select_from(m)
                 .outerjoin(FigureVillage, FigureVillage.village_id == m.village_id)
                 .where(m.village_id.in_(villages), m.month.between(*span)).group_by(m.month))}
    reach = FigureReachCount
    reached = {month: int(n) for month, n in db.session.execute(
        sa.select(reach.month, sa.func.sum(reach.households))
        .where(reach.village_id.in_(villages), reach.month.between(*span)).group_by(reach.month))}
    return found, reached


def points_by_category(root: Optional[Region], first: date, last: date) -> list[tuple[str, int]]:
    """The points the region's rules gave in the months asked for, by rule category: (name, points),
    categories of the same name in several villages together, those that net to nothing left out.
    A region above the village reads its own summary by month and category name
    (app/figures/region_points.py), a row a month and category; a village its points by rule
    (app/models/figure_points.py), a row a month and rule; never the ledger."""
    months = (figures.month_number(first), figures.month_number(last))
    if root is None or not root.is_village:
        kept = FigureRegionPoints
        query = (sa.select(kept.category, sa.func.sum(kept.points))
                 .where(kept.region_id.in_(figures.summarised_regions(root)),
                        kept.month.between(*months))
                 .group_by(kept.category).having(sa.func.sum(kept.points) != 0)
                 .order_by(kept.category))
    else:
        query = (sa.select(RuleCategory.name, sa.func.sum(FigurePoints.points))
                 .join(Rule, Rule.id == FigurePoints.rule_id)
                 .join(RuleCategory, RuleCategory.id == Rule.category_id)
                 .where(FigurePoints.village_id == root.id, FigurePoints.month.between(*months))
                 .group_by(RuleCategory.name).having(sa.func.sum(FigurePoints.points) != 0)
                 .order_by(RuleCategory.name))
    return [(name, int(points)) for name, points in db.session.execute(query)]


def grids(village: Region, first: date, last: date) -> list[tuple[str, int, int]]:
    """A village's grids: (name, active households, points gained in the months asked for). The
    points come from the rankings' summary by household and month (deductions count, spending
    does not); meetings and issues are kept by village only, so they have no grid chart."""
    months = (figures.month_number(first), figures.month_number(last))
    names = dict(db.session.execute(sa.select(Grid.id, Grid.name).where(Grid.village_id == village.id)).all())
    households = dict(db.session.execute(
        sa.select(Household.grid_id, sa.func.count()).where(
            Household.village_id == village.id, Household.active.is_(True)).group_by(Household.grid_id)).all())
    gained = dict(db.session.execute(
        sa.select(Household.grid_id, sa.func.sum(RankingMonth.gained))
        .join(RankingMonth, RankingMonth.household_id == Household.id)
        .where(Household.village_id == village.id, RankingMonth.month.between(*months))
        .group_by(Household.grid_id)).all())
    order = sorted(names, key=lambda g: figures._name_key(names[g]))
    if None in households or None in gained:
        order.append(None)
    return [(names[g] if g is not None else _("No grid"), households.get(g, 0), int(gained.get(g) or 0))
            for g in order]


def _rate(attendances: int, invited: int) -> Optional[float]:
    return round(attendances * 100 / invited, 1) if invited else None


def specs(root: Optional[Region], first: date, last: date, today: date, villages: list,
          names: tuple = NAMES, overdue: Optional[dict[int, int]] = None) -> list[dict]:
    """Every chart of the page, or only those `names` (one chart's .xlsx reads only its own
    summary): `villages` are the table's rows as it shows them (its order); `overdue` as for
    `monthly`."""
    charts = []
    if {"meetings", "reach", "issues"} & set(names):
        charts += _monthly_specs(monthly(root, first, last, today, overdue))
    if "categories" in names:
        found = points_by_category(root, first, last)
        charts.append(_spec("categories", _("Points by rule category"), "bar", [n for n, _p in found],
                            [_series(_("Points"), [p for _n, p in found])], first=_("Rule category")))
    if root is not None and root.is_village:
        if "grids" in names:
            found = grids(root, first, last)
            charts.append(_spec("grids", _("Grids side by side"), "bar", [n for n, _h, _p in found], [
                _series(_("Households"), [h for _n, h, _p in found]),
                _series(_("Points gained"), [p for _n, _h, p in found], axis=1)], first=_("Grid")))
    elif "villages" in names:
        charts.append(_spec("villages", _("Villages side by side"), "bar", [r.name for r in villages], [
            _series(_("Meetings held"), [r.meetings for r in villages]),
            _series(_("Households reached"), [r.reached for r in villages]),
            _series(_("Issues collected"), [r.issues for r in villages]),
            _series(_("Resolved"), [r.resolved for r in villages])], first=_("Village")))
    return [c for c in charts if c["id"] in names]


def _monthly_specs(series: dict) -> list[dict]:
    """The charts drawn from the region's monthly series: meetings, reach, issues."""
    months, counts = series["months"], series["counts"]
    labels = [_label(k) for k in months]
    return [
        _spec("meetings", _("Meetings held by format"), "bar", labels,
              [_series(label, [counts[k][f"meetings_{key}"] for k in months]) for key, label in FORMATS],
              stack=True),
        _spec("reach", _("Households reached and attendance rate"), "line", labels, [
            _series(_("Households reached"), [series["reached"][k] for k in months], "bar"),
            _series(_("Attendance rate (%)"), [_rate(counts[k]["attendances"], counts[k]["invited"])
                                               for k in months], axis=1, percent=True)]),
        _spec("issues", _("Issues collected, resolved and overdue"), "line", labels, [
            _series(_("Issues collected"), [counts[k]["issues"] for k in months]),
            _series(_("Resolved"), [counts[k]["resolved"] for k in months]),
            _series(_("Overdue now, by month raised"), [series["overdue"][k] for k in months])]),
    ]
