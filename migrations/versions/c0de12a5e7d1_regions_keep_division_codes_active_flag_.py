"""Regions keep their national division code, an active flag and a merge pointer

Revision ID: c0de12a5e7d1
Revises: 8bf0d5090d3d
Create Date: 2026-11-28 17:10:55.430862

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0de12a5e7d1'
down_revision = '8bf0d5090d3d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_regions_code'), ['code'])
        batch_op.create_foreign_key(batch_op.f('fk_regions_merged_into_id_regions'), 'regions', ['merged_into_id'], ['id'])
        batch_op.create_check_constraint('code_length', 'code IS NULL OR length(code) = 12')


def downgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_constraint('code_length', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_regions_merged_into_id_regions'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_regions_code'), type_='unique')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('active')
        batch_op.drop_column('code')
