"""year-end settlement (年度清零): per-village date and warning days, settlements, the expiry kind

Revision ID: 5d2b8e1c7a40
Revises: d7a1c9e4f2b6
Create Date: 2026-12-07 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d2b8e1c7a40'
down_revision = 'd7a1c9e4f2b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('village_settings') as batch_op:
        batch_op.add_column(sa.Column('settlement_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('settlement_warn_days', sa.Integer(), server_default='30',
                                      nullable=False))
    op.create_table('settlements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('settle_on', sa.Date(), nullable=False),
    sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('households', sa.Integer(), server_default='0', nullable=False),
    sa.Column('points', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_settlements_village_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements')),
    sa.UniqueConstraint('village_id', 'settle_on', name=op.f('uq_settlements_village_id_settle_on'))
    )
    op.execute("INSERT INTO entry_kinds (name) VALUES ('expiry')")


def downgrade():
    op.execute("DELETE FROM entry_kinds WHERE name = 'expiry'")
    op.drop_table('settlements')
    with op.batch_alter_table('village_settings') as batch_op:
        batch_op.drop_column('settlement_warn_days')
        batch_op.drop_column('settlement_on')
