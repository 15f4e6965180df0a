"""rankings: points gained by household and local month, kept by the ledger; backfilled

Revision ID: c4e8a2f6b913
Revises: c4e8a2f6b1d3
Create Date: 2026-12-07 09:30:00.000000

The backfill is a frozen copy of app/rankings/recount.py's recount at this revision (migrations
must not follow later changes of the app's code): scoring entries (award, deduction, adjustment)
in their local month, a reversal of one in the month of the entry it reverses; spending never.
`flask figures verify` checks it.
"""
import os
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a2f6b913'
down_revision = 'c4e8a2f6b1d3'
branch_labels = None
depends_on = None

SCORING = ("award", "deduction", "adjustment")


def upgrade():
    op.create_table('ranking_months',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('gained', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_ranking_months_household_id_households')),
    sa.PrimaryKeyConstraint('household_id', 'month', name=op.f('pk_ranking_months'))
    )
    _backfill(op.get_bind())


def _zone():
    try:
        from flask import current_app

        return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    except (RuntimeError, KeyError):
        return ZoneInfo(os.environ.get("LIANXIN_TIMEZONE", "Asia/Shanghai"))


def _backfill(conn):
    zone = _zone()

    def month(value):
        if isinstance(value, str):  # SQLite hands back text through a plain Core query
            value = datetime.fromisoformat(value)
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = value.astimezone(zone)
        return local.year * 100 + local.month

    sums = Counter()
    kinds = ", ".join(f"'{k}'" for k in SCORING)
    for household_id, points, at, original_at in conn.execute(sa.text(
            "SELECT e.household_id, e.points, e.created_at, o.created_at FROM ledger_entries e "
            "LEFT JOIN ledger_entries o ON o.id = e.reverses_id "
            f"WHERE e.kind IN ({kinds}) OR (e.kind = 'reversal' AND o.kind IN ({kinds}))")):
        sums[household_id, month(original_at or at)] += points
    rows = [{"household_id": h, "month": m, "gained": n} for (h, m), n in sorted(sums.items()) if n]
    table = sa.table('ranking_months', sa.column('household_id'), sa.column('month'),
                     sa.column('gained'))
    for start in range(0, len(rows), 5000):
        conn.execute(table.insert(), rows[start:start + 5000])


def downgrade():
    op.drop_table('ranking_months')
