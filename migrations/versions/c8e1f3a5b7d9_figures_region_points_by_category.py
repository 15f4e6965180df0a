"""figures: every region's points by rule category and month above the village (township,
county, city), kept with the villages' points by rule; backfilled from them

Revision ID: c8e1f3a5b7d9
Revises: d4f6a8c0e2b1
Create Date: 2026-12-08 10:00:00.000000

The backfill is a frozen copy of app/figures/region_points.py's recount at this revision: each
village's points by rule (figure_points) added to every region above it by the paths' prefix
ranges, under its rule's category name. `flask figures verify` checks it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8e1f3a5b7d9'
down_revision = 'd4f6a8c0e2b1'
branch_labels = None
depends_on = None

UNDER = "JOIN regions v ON v.path >= a.path AND v.path < substr(a.path, 1, length(a.path) - 1) || '0'"


def upgrade():
    op.create_table('figure_region_points',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('points', sa.BigInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'],
                            name=op.f('fk_figure_region_points_region_id_regions')),
    sa.PrimaryKeyConstraint('region_id', 'month', 'category', name=op.f('pk_figure_region_points'))
    )
    op.execute(f"""
INSERT INTO figure_region_points (region_id, month, category, points)
SELECT p.region_id, f.month, c.name, sum(f.points)
FROM (SELECT DISTINCT a.id AS region_id, v.id AS village_id FROM regions a {UNDER}
      WHERE v.level = 4 AND a.level < 4) p
JOIN figure_points f ON f.village_id = p.village_id
JOIN rules r ON r.id = f.rule_id
JOIN rule_categories c ON c.id = r.category_id
GROUP BY p.region_id, f.month, c.name
HAVING sum(f.points) <> 0""")


def downgrade():
    op.drop_table('figure_region_points')
