"""The rankings' summary: points each household gained in each local month, kept by the ledger.

app/ledger/services.py adds to these rows in the same transaction as every entry that counts
towards the score (awards, deductions, adjustments and their reversals; spending never counts),
by relative upsert, so a ranking over a month, a quarter or a year sums at most twelve small rows
per household instead of scanning the ledger. A reversal takes its points off the month of the
entry it reverses: a cancelled award never counted. Rows follow the household, not the village,
so a merge of villages (which moves households) needs no change here.
`flask figures verify` recounts them from the ledger; `flask figures rebuild` rewrites them.
"""
import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


class RankingMonth(db.Model):
    """Points a household gained in a local month (YYYYMM): its scoring entries' sum, reversals
    counted in the month of the entry they reverse."""

    __tablename__ = "ranking_months"

    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), primary_key=True)
    month: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    gained: so.Mapped[int] = so.mapped_column(sa.Integer, default=0, server_default="0")
