"""Deduction photo evidence on ledger entries; index for officials' household totals

Revision ID: 9e266a7327fb
Revises: 68f5ad440f3c
Create Date: 2026-11-28 05:22:08.194036

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e266a7327fb'
down_revision = '68f5ad440f3c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_households_village_active', 'households', ['village_id', 'active'],
                    unique=False)
    # A plain ADD COLUMN, not a batch: SQLite's batch mode rebuilds the table, which would drop
    # the append-only triggers of ledger_entries.
    op.add_column('ledger_entries', sa.Column('photo', sa.String(length=64), nullable=True))


def downgrade():
    # ALTER TABLE ... DROP COLUMN exists on SQLite 3.35+ and PostgreSQL; again no table rebuild.
    op.execute("ALTER TABLE ledger_entries DROP COLUMN photo")
    op.drop_index('ix_households_village_active', table_name='households')
