"""certificates: points certificates that anyone can verify, and their withdrawal

Revision ID: d5a1c3e7f024
Revises: c4e8a2f6b913
Create Date: 2026-12-07 10:20:00.000000
"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'd5a1c3e7f024'
down_revision = 'c4e8a2f6b913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', UTCDateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=400), nullable=False),
    sa.Column('withdrawn_at', UTCDateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdraw_reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_certificates_household_id_households')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_certificates_issued_by_id_users')),
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_certificates_village_id_regions')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_certificates_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates'))
    )
    op.create_index('ix_certificates_village_id_id', 'certificates', ['village_id', 'id'], unique=False)
    op.create_index(op.f('ix_certificates_household_id'), 'certificates', ['household_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_certificates_household_id'), table_name='certificates')
    op.drop_index('ix_certificates_village_id_id', table_name='certificates')
    op.drop_table('certificates')
