"""Regions keep their national division code, an active flag and a merge pointer; accounts
may be marked to change their one-time password at first sign-in

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
    # Plain ALTER TABLE ADD COLUMN, never a batch table rebuild: on SQLite a rebuild drops
    # `regions`, which every household, grid and account references.
    op.add_column('regions', sa.Column('code', sa.String(length=12), nullable=True))
    op.add_column('regions', sa.Column('active', sa.Boolean(), server_default=sa.true(),
                                       nullable=False))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE regions ADD COLUMN merged_into_id INTEGER REFERENCES regions (id)')
    else:
        op.add_column('regions', sa.Column('merged_into_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_regions_merged_into_id_regions'), 'regions', 'regions',
                              ['merged_into_id'], ['id'])
    op.create_index(op.f('ix_regions_code'), 'regions', ['code'], unique=True)
    # Accounts made in bulk with one-time passwords must change them at first sign-in.
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(),
                                     server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
    op.drop_index(op.f('ix_regions_code'), table_name='regions')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':
            batch_op.drop_constraint(batch_op.f('fk_regions_merged_into_id_regions'),
                                     type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('active')
        batch_op.drop_column('code')
