"""Accounts: a session version that ends every session when rotated, and a flag that makes a
password set by someone else be changed at the next sign-in

Revision ID: 5ec0a7d17a01
Revises: 3c1e7a9b2d40
Create Date: 2026-11-28 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5ec0a7d17a01'
down_revision = '3c1e7a9b2d40'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs with server defaults: existing accounts start at version 0 and keep
    # their passwords until they change them.
    op.add_column('users', sa.Column('session_version', sa.Integer(), nullable=False,
                                     server_default='0'))
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade():
    op.execute("ALTER TABLE users DROP COLUMN must_change_password")
    op.execute("ALTER TABLE users DROP COLUMN session_version")
