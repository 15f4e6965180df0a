"""figures: points each rule gave per village and local month, kept by the ledger; backfilled

Revision ID: d7a1c9e4f2b6
Revises: d5a1c3e7f024
Create Date: 2026-12-07 10:30:00.000000

The backfill is a frozen copy of app/rankings/rule_points.py's recount at this revision: entries
of kind award or deduction naming a rule, in their local month; a reversal of one in the month,
village and rule of the entry it reverses. `flask figures verify` checks it.
"""
import os
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a1c9e4f2b6'
down_revision = 'd5a1c3e7f024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('figure_points',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['rules.id'], name=op.f('fk_figure_points_rule_id_rules')),
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_figure_points_village_id_regions')),
    sa.PrimaryKeyConstraint('village_id', 'month', 'rule_id', name=op.f('pk_figure_points'))
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
    for points, village, rule, at, o_village, o_rule, o_at in conn.execute(sa.text(
            "SELECT e.points, e.village_id, e.rule_id, e.created_at, o.village_id, o.rule_id, "
            "o.created_at FROM ledger_entries e LEFT JOIN ledger_entries o ON o.id = e.reverses_id "
            "WHERE (e.kind IN ('award', 'deduction') AND e.rule_id IS NOT NULL) OR (e.kind = "
            "'reversal' AND o.kind IN ('award', 'deduction') AND o.rule_id IS NOT NULL)")):
        if o_at is not None:
            village, rule, at = o_village, o_rule, o_at
        sums[village, month(at), rule] += points
    rows = [{"village_id": v, "month": m, "rule_id": r, "points": n}
            for (v, m, r), n in sorted(sums.items()) if n]
    table = sa.table('figure_points', sa.column('village_id'), sa.column('month'),
                     sa.column('rule_id'), sa.column('points'))
    for start in range(0, len(rows), 5000):
        conn.execute(table.insert(), rows[start:start + 5000])


def downgrade():
    op.drop_table('figure_points')
