"""figures: each village's counters summed up to each of its months (figure_month_totals);
backfilled from figure_months

Revision ID: b8d0f2a4c6e8
Revises: a7c9e1b3d5f7
Create Date: 2026-12-08 01:40:00.000000

Sorting a city's villages by a counter over a period (meetings held, issues collected, the
rates) summed each village's months: some 23,400 rows grouped for a year. These running totals
make a period's sums the row at or before its last month less the row before its first, two
rows a village (app/figures/reads). The writes that add to figure_months add to them too
(app/figures/rollup.add); `flask figures verify` compares them with the recount.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d0f2a4c6e8'
down_revision = 'a7c9e1b3d5f7'
branch_labels = None
depends_on = None

COUNTERS = ('meetings_group', 'meetings_forum', 'meetings_home_visit', 'meetings_reception',
            'meetings_online', 'attendances', 'issues', 'suggestions', 'resolved', 'on_time',
            'resolve_seconds', 'answered', 'satisfied')


def upgrade():
    op.create_table(
        'figure_month_totals',
        sa.Column('village_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger() if name == 'resolve_seconds' else sa.Integer(),
                    server_default='0', nullable=False) for name in COUNTERS),
        sa.ForeignKeyConstraint(['village_id'], ['regions.id'],
                                name=op.f('fk_figure_month_totals_village_id_regions')),
        sa.PrimaryKeyConstraint('village_id', 'month', name=op.f('pk_figure_month_totals')),
        sqlite_with_rowid=False)
    sums = ", ".join(f"sum({name}) OVER (PARTITION BY village_id ORDER BY month)" for name in COUNTERS)
    op.execute(f"INSERT INTO figure_month_totals (village_id, month, {', '.join(COUNTERS)}) "
               f"SELECT village_id, month, {sums} FROM figure_months")


def downgrade():
    op.drop_table('figure_month_totals')
