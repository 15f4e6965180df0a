"""The figures' points by rule: points a village's rules gave in each local month, kept by the ledger.

app/ledger/services.py adds to these rows in the same transaction as every entry a rule made
(awards and deductions) and every reversal of one, by relative upsert, as it keeps the rankings'
summary, so the charts' "points by rule category" over a city's year reads these rows, never the
ledger. Keyed by rule (not category): a rule moved to another category takes its points with it,
and the rows stay a plain sum of the ledger that `flask figures verify` can recount. A reversal
takes its points off the month of the entry it reverses. The village is the entry's own (entries
never move, so a merge of villages needs no change here).
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
