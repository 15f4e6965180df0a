"""figures: each village's cadres by their latest month hosting there, summed from the latest down
(figure_cadre_latest); backfilled from figure_cadres

Revision ID: c9e1a3b5d7f9
Revises: b8d0f2a4c6e8
Create Date: 2026-12-08 02:20:00.000000

Sorting a city's villages by cadres attending over a period running to now summed each
village's counts by month and previous month (figure_cadre_counts), grouped by village. As
figure_reach_latest does for households, this table holds at each month that is some cadre's
latest in the village the cadres (each level and cadre once) latest seen then or later: one row
a village (app/figures/reads._counted_page). The meetings' rollup keeps it
(app/figures/rollup._cadres_seen); `flask figures verify` compares it with figure_cadres.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9e1a3b5d7f9'
down_revision = 'b8d0f2a4c6e8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'figure_cadre_latest',
        sa.Column('village_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('cadres', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['village_id'], ['regions.id'],
                                name=op.f('fk_figure_cadre_latest_village_id_regions')),
        sa.PrimaryKeyConstraint('village_id', 'month', name=op.f('pk_figure_cadre_latest')),
        sqlite_with_rowid=False)
    op.create_index('ix_figure_cadre_latest_month', 'figure_cadre_latest',
                    ['month', 'village_id', 'cadres'], unique=False)
    op.execute("""
INSERT INTO figure_cadre_latest (village_id, month, cadres)
SELECT village_id, latest, sum(n) OVER (PARTITION BY village_id ORDER BY latest DESC)
FROM (SELECT village_id, latest, count(*) AS n FROM (
        SELECT village_id, max(month) AS latest FROM figure_cadres
        GROUP BY village_id, level, cadre) AS each_cadre
      GROUP BY village_id, latest) AS by_latest""")


def downgrade():
    op.drop_index('ix_figure_cadre_latest_month', table_name='figure_cadre_latest')
    op.drop_table('figure_cadre_latest')
