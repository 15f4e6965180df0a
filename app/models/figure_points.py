"""The figures' points by rule: points a village's rules gave in each local month, kept by the ledger.

app/ledger/services.py adds to these rows in the same transaction as every entry a rule made
(awards and deductions) and every reversal of one, by relative upsert, as it keeps the rankings'
summary, so the charts' "points by rule category" over a city's year reads these rows, never the
ledger. Keyed by rule (not category): a rule moved to another category takes its points with it,
and the rows stay a plain sum of the ledger that `flask figures verify` can recount. A reversal
takes its points off the month of the entry it reverses. The village is the entry's own (entries
never move, so a merge of villages needs no change here).

The regions above the village keep the same points by category name (FigureRegionPoints): a
township's, county's or city's chart reads those; a village's reads its own rows here.
"""
import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


class FigurePoints(db.Model):
    """Points a rule gave in a village in a local month (YYYYMM), reversals taken off."""

    __tablename__ = "figure_points"

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    rule_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("rules.id"), primary_key=True)
    points: so.Mapped[int] = so.mapped_column(sa.Integer, default=0, server_default="0")


class FigureRegionPoints(db.Model):
    """Points the rules of a region's villages gave in a local month, by rule category name, for
    every region above the village (township, county, city): FigurePoints summed over the
    region's villages (by their place now) and its rules' categories (by their category now),
    kept by the same writes and by the moves of villages and rules (app/figures/region_points.py),
    so a city's "points by rule category" reads a row a month and category, not one a village,
    month and rule. Categories of the same name in several villages are one row, as the chart
    shows them."""

    __tablename__ = "figure_region_points"

    region_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    category: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    points: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0, server_default="0")
