"""Index photo names, which every photo request looks up

Revision ID: 85e65a5f2cf8
Revises: 9e266a7327fb
Create Date: 2026-11-28 05:28:19.675934

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '85e65a5f2cf8'
down_revision = '9e266a7327fb'
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX, not a batch: a batch on SQLite rebuilds ledger_entries and drops its
    # append-only triggers.
    op.create_index(op.f('ix_claims_photo'), 'claims', ['photo'], unique=False)
    op.create_index(op.f('ix_ledger_entries_photo'), 'ledger_entries', ['photo'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_ledger_entries_photo'), table_name='ledger_entries')
    op.drop_index(op.f('ix_claims_photo'), table_name='claims')
