"""Entry kinds in a lookup table (a foreign key) instead of a CHECK list

Adding a kind used to change the CHECK constraint, which SQLite applies by rebuilding
ledger_entries (and dropping its append-only triggers). With a lookup table a new kind is an
INSERT. This migration rebuilds the table one last time and creates the triggers again.

Revision ID: 3c1e7a9b2d40
Revises: 8bf0d5090d3d
Create Date: 2026-11-28 17:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3c1e7a9b2d40'
down_revision = '8bf0d5090d3d'
branch_labels = None
depends_on = None

KINDS = ("award", "deduction", "redemption", "reversal", "adjustment")
SQLITE_TRIGGERS = [
    "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END",
    "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END",
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    kinds = op.create_table(
        'entry_kinds',
        sa.Column('name', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_entry_kinds')),
    )
    op.bulk_insert(kinds, [{"name": kind} for kind in KINDS])
    if _sqlite():
        # The rebuild drops the triggers (SQLite keeps triggers with their table).
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_delete")
    with op.batch_alter_table('ledger_entries') as batch_op:
        batch_op.drop_constraint(op.f('ck_ledger_entries_kind_known'), type_='check')
        batch_op.create_foreign_key(batch_op.f('fk_ledger_entries_kind_entry_kinds'),
                                    'entry_kinds', ['kind'], ['name'])
    if _sqlite():
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_delete")
    with op.batch_alter_table('ledger_entries') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ledger_entries_kind_entry_kinds'), type_='foreignkey')
        batch_op.create_check_constraint(
            'kind_known', "kind IN ('award','deduction','redemption','reversal','adjustment')")
    if _sqlite():
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    op.drop_table('entry_kinds')
