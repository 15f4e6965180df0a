"""figures: households reached and cadres counted by month and previous month seen; backfilled

Revision ID: b3d5f7a9c1e2
Revises: a9f3c6d2e817
Create Date: 2026-11-29 04:00:00.000000

Counting distinct households reached over a period scanned some 560,000 (village, month,
household) rows for a city's year, most of the figures page's time. A household counts once in
months [a, b], at its first month there: the row whose previous month is before a. So the page
sums counts kept by (month, previous month), a few rows per village month. Cadres likewise, per
village and per every region above it (a cadre of several villages counts once in each region).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c1e2'
down_revision = 'a9f3c6d2e817'
branch_labels = None
depends_on = None

# The same recount as app/issues/recount.py (REACH_COUNTS, CADRE_COUNTS) at this revision.
REACH_COUNTS = """
SELECT village_id, month, since, count(*) AS households FROM (
  SELECT village_id, month,
         coalesce(lag(month) OVER (PARTITION BY village_id, household_id ORDER BY month), 0) AS since
  FROM figure_reach) AS spans
GROUP BY village_id, month, since"""
CADRE_COUNTS = """
WITH under AS (
  SELECT a.id AS region_id, v.id AS village_id FROM regions a
  JOIN regions v ON v.path >= a.path AND v.path < substr(a.path, 1, length(a.path) - 1) || '0'
  WHERE v.level = 4)
SELECT region_id, level, month, since, count(*) AS cadres FROM (
  SELECT region_id, level, month,
         coalesce(lag(month) OVER (PARTITION BY region_id, level, cadre ORDER BY month), 0) AS since
  FROM (SELECT DISTINCT u.region_id, c.level, c.cadre, c.month
        FROM under u JOIN figure_cadres c ON c.village_id = u.village_id) AS seen) AS spans
GROUP BY region_id, level, month, since"""


def upgrade():
    op.create_table('figure_reach_counts',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('since', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_figure_reach_counts_village_id_regions')),
    sa.PrimaryKeyConstraint('village_id', 'month', 'since', name=op.f('pk_figure_reach_counts'))
    )
    op.create_table('figure_cadre_counts',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('since', sa.Integer(), nullable=False),
    sa.Column('cadres', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_figure_cadre_counts_region_id_regions')),
    sa.PrimaryKeyConstraint('region_id', 'level', 'month', 'since', name=op.f('pk_figure_cadre_counts'))
    )
    op.create_index('ix_figure_reach_household', 'figure_reach', ['village_id', 'household_id', 'month'], unique=False)
    op.create_index('ix_figure_cadres_cadre', 'figure_cadres', ['cadre', 'level', 'month'], unique=False)
    op.execute("INSERT INTO figure_reach_counts (village_id, month, since, households) " + REACH_COUNTS)
    op.execute("INSERT INTO figure_cadre_counts (region_id, level, month, since, cadres) " + CADRE_COUNTS)


def downgrade():
    op.drop_index('ix_figure_cadres_cadre', table_name='figure_cadres')
    op.drop_index('ix_figure_reach_household', table_name='figure_reach')
    op.drop_table('figure_cadre_counts')
    op.drop_table('figure_reach_counts')
