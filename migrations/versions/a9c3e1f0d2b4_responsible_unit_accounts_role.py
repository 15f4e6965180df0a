"""responsible-unit accounts (责任单位账号): the role `unit` joins the known roles

Revision ID: a9c3e1f0d2b4
Revises: 5f1c0a7e9b21
Create Date: 2026-11-29 01:30:00.000000

A unit account (县水利局...) is scoped to the region it serves (region_id) and sees only the
issues assigned to it; only the users.role CHECK constraint changes.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a9c3e1f0d2b4'
down_revision = '5f1c0a7e9b21'
branch_labels = None
depends_on = None

OLD = "role IN ('admin','official','committee','shop','grid_leader','household')"
NEW = "role IN ('admin','official','committee','shop','grid_leader','household','unit')"


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds `users` to change its CHECK, and every table referencing it would refuse
    the DROP: foreign keys are switched off around the rebuild (only possible between
    transactions, so the migration's transaction is committed and begun again)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("COMMIT")
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
        op.execute("BEGIN IMMEDIATE")


def _role_check(check: str) -> None:
    _foreign_keys(False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role_known'), check)
    _foreign_keys(True)


def upgrade():
    _role_check(NEW)


def downgrade():
    # Unit accounts cannot stay: they become disabled official accounts, off their issues.
    op.execute("UPDATE issues SET responsible_user_id = NULL WHERE responsible_user_id IN "
               "(SELECT id FROM users WHERE role = 'unit')")
    op.execute("UPDATE users SET active = false, role = 'official' WHERE role = 'unit'")
    _role_check(OLD)
