"""figures: households by their latest month reached, summed from the latest down
(figure_reach_latest); backfilled from figure_reach

Revision ID: a7c9e1b3d5f7
Revises: f6d8b0c2e4a7
Create Date: 2026-12-08 01:10:00.000000

Sorting a city's villages by households reached over a period running to now summed each
village's counts by month and previous month (figure_reach_counts): some 15,600 rows grouped by
village, which SQLite does by sorting them. This table holds, at every month that is some
household's latest in the village, the households latest seen then or later: the period's count
is one row a village (app/figures/reads._reached_from). The check-ins' rollup keeps it
(app/figures/rollup.attended); `flask figures verify` compares it with figure_reach.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c9e1b3d5f7'
down_revision = 'f6d8b0c2e4a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'figure_reach_latest',
        sa.Column('village_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('households', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['village_id'], ['regions.id'],
                                name=op.f('fk_figure_reach_latest_village_id_regions')),
        sa.PrimaryKeyConstraint('village_id', 'month', name=op.f('pk_figure_reach_latest')),
        sqlite_with_rowid=False)
    op.create_index('ix_figure_reach_latest_month', 'figure_reach_latest',
                    ['month', 'village_id', 'households'], unique=False)
    op.execute("""
INSERT INTO figure_reach_latest (village_id, month, households)
SELECT village_id, latest,
       sum(households) OVER (PARTITION BY village_id ORDER BY latest DESC)
FROM (SELECT village_id, latest, count(*) AS households FROM (
        SELECT village_id, household_id, max(month) AS latest FROM figure_reach
        GROUP BY village_id, household_id) AS each_household
      GROUP BY village_id, latest) AS by_latest""")


def downgrade():
    op.drop_index('ix_figure_reach_latest_month', table_name='figure_reach_latest')
    op.drop_table('figure_reach_latest')
