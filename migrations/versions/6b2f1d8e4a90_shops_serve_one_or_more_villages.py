"""shops serve one or more villages

Revision ID: 6b2f1d8e4a90
Revises: 5a1e0f7c3b21
Create Date: 2026-11-28 22:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6b2f1d8e4a90'
down_revision = '5a1e0f7c3b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shop_villages',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_villages_shop_id_shops')),
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_shop_villages_village_id_regions')),
    sa.PrimaryKeyConstraint('shop_id', 'village_id', name=op.f('pk_shop_villages'))
    )
    with op.batch_alter_table('shop_villages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_villages_village_id'), ['village_id'], unique=False)
    # Every existing shop serves its own village, as it did before.
    op.execute("INSERT INTO shop_villages (shop_id, village_id) SELECT id, village_id FROM shops")


def downgrade():
    with op.batch_alter_table('shop_villages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_villages_village_id'))
    op.drop_table('shop_villages')
