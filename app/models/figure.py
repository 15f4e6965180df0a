"""The officials' figures rollup: per-village per-month counters kept by the services themselves.

Every service that changes what the figures count (a meeting opened, a check-in, an issue raised,
resolved, confirmed or reopened) adds to these rows in its own transaction, by relative UPDATE,
so the figures page reads a few thousand small rows instead of scanning a city's meetings and
issues. What is not additive over months (distinct households reached, distinct cadres) is kept
as one row per distinct thing per village and month (the record), and, for the page, as counts
by month and "previous month seen" (FigureReachCount, FigureCadreCount): a household or cadre
counts once in months [a, b] at its first month there, the one whose previous month is before a,
so the distinct count over any period is a sum of a few rows per month, not a scan of the record.
`flask figures verify` recounts everything from the source tables; `flask figures rebuild` redoes it.
"""
from typing import ClassVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db

FORMATS = ("group", "forum", "home_visit", "reception", "online")
# The additive counters of a village's month, besides one meeting counter per format.
COUNTERS = ("attendances", "issues", "suggestions", "resolved", "on_time", "resolve_seconds",
            "answered", "satisfied")


def _counter(big: bool = False):
    return so.mapped_column(sa.BigInteger if big else sa.Integer, default=0, server_default="0")


class _Counters:
    """The additive counters of a village's month, as FigureMonth holds them and the tables that
    sum them (FigureMonthTotal over months, FigureRegionMonth over villages) do."""

    meetings_group: so.Mapped[int] = _counter()
    meetings_forum: so.Mapped[int] = _counter()
    meetings_home_visit: so.Mapped[int] = _counter()
    meetings_reception: so.Mapped[int] = _counter()
    meetings_online: so.Mapped[int] = _counter()
    attendances: so.Mapped[int] = _counter()
    issues: so.Mapped[int] = _counter()
    suggestions: so.Mapped[int] = _counter()
    resolved: so.Mapped[int] = _counter()
    on_time: so.Mapped[int] = _counter()
    # Seconds from raising to resolution, summed over the resolved issues (exact, unlike days).
    resolve_seconds: so.Mapped[int] = _counter(big=True)
    answered: so.Mapped[int] = _counter()
    satisfied: so.Mapped[int] = _counter()


class FigureMonth(_Counters, db.Model):
    """A village's counters for one local month (YYYYMM): meetings held by their start, check-ins
    at those meetings, and the issues raised that month with how they were settled since."""

    __tablename__ = "figure_months"

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)


class FigureMonthTotal(_Counters, db.Model):
    """A village's counters (FigureMonth's) summed over every month up to and including
    `month`, at each month it has counters: a period's sums are the row at or before its last
    month less the row before its first, two rows a village, where FigureMonth is a row a
    village and month (sorting a city's villages by meetings over a year grouped 23,400 rows).
    Kept by the same writes (app/figures/rollup.add) under the village's lock."""

    __tablename__ = "figure_month_totals"
    __table_args__ = {"sqlite_with_rowid": False}  # the key holds the row: a seek reads it

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)


class FigureReach(db.Model):
    """A household that attended a meeting of its village held in that month."""

    __tablename__ = "figure_reach"
    # A household's months in a village, to find the months before and after a new one.
    __table_args__ = (sa.Index("ix_figure_reach_household", "village_id", "household_id", "month"),)

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), primary_key=True)


class FigureCadre(db.Model):
    """A cadre who hosted a meeting held in the village that month: an account's id, or for a
    name without an account `village_id:name` (a person of that village)."""

    __tablename__ = "figure_cadres"
    # A cadre's months in every village, to find the months before and after a new one.
    __table_args__ = (sa.Index("ix_figure_cadres_cadre", "cadre", "level", "month"),)

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    level: so.Mapped[int] = so.mapped_column(sa.SmallInteger, primary_key=True)
    cadre: so.Mapped[str] = so.mapped_column(sa.String(80), primary_key=True)


class FigureReachCount(db.Model):
    """Households of the village reached in `month` whose previous month reached there was
    `since` (0: never). Households reached in months [a, b] = the sum over months in [a, b]
    with since < a."""

    __tablename__ = "figure_reach_counts"

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    since: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    households: so.Mapped[int] = _counter()

    # Sorting every village by households reached (app/figures/reads._counted) reads, for each
    # month of the period, only the rows with since before it: a seek a month, not every row of
    # every village's months.
    __table_args__ = (sa.Index("ix_figure_reach_counts_month_since", "month", "since",
                               "village_id", "households"),)


class _Latest:
    """Things of a village (households reached, cadres hosting) counted by their latest month
    there: at every month that is (or once was) one's latest, those latest seen then or later.
    Their count from month a to now is the row of the village's first month at or after a
    (none: 0): one row a village, where the counts by month and previous month (FigureReachCount,
    FigureCadreCount) sum a row a village and month (sorting a city's villages over a year
    grouped 15,600 rows; SQLite sorts to group). Kept by the rollup (app/figures/rollup.
    _latest_moved) under the village's lock; `flask figures verify` compares them with `source`."""

    __tablename__: ClassVar[str]
    counter: ClassVar[str]  # the count's column
    source: ClassVar[tuple[str, str]]  # the distinct rows counted: their table, what counts once

    @so.declared_attr.directive
    def __table_args__(cls):
        # A period's month is most often a row of each village: read by the index led by the
        # month (PostgreSQL: one index-only range), the rest by a seek of the key. On SQLite the
        # key holds the row (one B-tree, no rowid table behind it).
        return (sa.Index(f"ix_{cls.__tablename__}_month", "month", "village_id", cls.counter),
                {"sqlite_with_rowid": False})

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)


class FigureReachLatest(_Latest, db.Model):
    """Households of the village by their latest month reached there (at a check-in:
    app/figures/rollup.attended)."""

    __tablename__ = "figure_reach_latest"
    counter = "households"
    source = ("figure_reach", "household_id")

    households: so.Mapped[int] = _counter()


class FigureCadreLatest(_Latest, db.Model):
    """Cadres (each level and cadre once) by their latest month hosting in the village (at a
    meeting opened: app/figures/rollup.meeting_held)."""

    __tablename__ = "figure_cadre_latest"
    counter = "cadres"
    source = ("figure_cadres", "level, cadre")

    cadres: so.Mapped[int] = _counter()


class FigureCadreCount(db.Model):
    """Cadres of a level who hosted in the region (a village or any region above it) in `month`
    and last before that in `since` (0: never): the region's distinct cadres over months [a, b]
    are the sum over months in [a, b] with since < a; a cadre of several villages counts once
    in the township, county and city above them."""

    __tablename__ = "figure_cadre_counts"

    region_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    level: so.Mapped[int] = so.mapped_column(sa.SmallInteger, primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    since: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    cadres: so.Mapped[int] = _counter()


class FigureVillage(db.Model):
    """A village's active households now (the attendance rate's denominator) and the people in
    them (the officials' list of villages): kept by the register's services (create, change,
    deactivate, reactivate, import, merge) so no page counts a city's households per request."""

    __tablename__ = "figure_villages"

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    households: so.Mapped[int] = _counter()
    members: so.Mapped[int] = _counter()


class FigureRegionMonth(_Counters, db.Model):
    """The counters of every region above the village (township, county, city) for one local
    month: the sum of its villages' FigureMonth rows, kept by the same writes in the same
    transactions (app/figures/regions.py), so a city's page and charts read a row a month, not
    a row a village and month. `invited` is the attendance rate's denominator: meetings held
    times each village's active households now, summed over the villages."""

    __tablename__ = "figure_region_months"

    region_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    invited: so.Mapped[int] = _counter(big=True)


class FigureRegionReach(db.Model):
    """FigureReachCount summed over the villages of a region above the village: households of
    the region's villages reached in `month` whose previous month reached there was `since`."""

    __tablename__ = "figure_region_reach"

    region_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    since: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    households: so.Mapped[int] = _counter()
