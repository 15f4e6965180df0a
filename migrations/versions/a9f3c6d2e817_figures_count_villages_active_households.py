"""figures: each village's active households, kept by the register's services; backfilled

Revision ID: a9f3c6d2e817
Revises: a9c3e1f0d2b4
Create Date: 2026-11-29 01:30:00.000000

The figures' attendance rate divides by a village's active households; counting them for a city
of 1,950 villages (some 800,000 households) on every request was most of the page's SQL time.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9f3c6d2e817'
down_revision = 'a9c3e1f0d2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('figure_villages',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_figure_villages_village_id_regions')),
    sa.PrimaryKeyConstraint('village_id', name=op.f('pk_figure_villages'))
    )
    op.execute("INSERT INTO figure_villages (village_id, households) "
               "SELECT village_id, count(*) FROM households WHERE active "
               "GROUP BY village_id")


def downgrade():
    op.drop_table('figure_villages')
