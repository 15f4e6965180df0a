"""figures: the people in each village's active households, kept beside their number by the
register's services; backfilled

Revision ID: f6d8b0c2e4a7
Revises: e5c7a9b1d3f5
Create Date: 2026-12-07 23:20:00.000000

The officials' list of villages (/regions/) shows each village's active households and the
people in them. It summed the page's households on every visit, some 20,000 rows for a page of a
city's villages; the register's services now keep the people beside the households
(app/figures/rollup.households), and `flask figures verify` compares both with the register.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f6d8b0c2e4a7'
down_revision = 'e5c7a9b1d3f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('figure_villages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('members', sa.Integer(), server_default='0', nullable=False))
    villages = sa.table('figure_villages', sa.column('village_id', sa.Integer),
                        sa.column('members', sa.Integer))
    households = sa.table('households', sa.column('village_id', sa.Integer),
                          sa.column('members', sa.Integer), sa.column('active', sa.Boolean))
    people = (sa.select(sa.func.coalesce(sa.func.sum(households.c.members), 0))
              .where(households.c.village_id == villages.c.village_id,
                     households.c.active.is_(True)).scalar_subquery())
    op.get_bind().execute(villages.update().values(members=people))


def downgrade():
    with op.batch_alter_table('figure_villages', schema=None) as batch_op:
        batch_op.drop_column('members')
