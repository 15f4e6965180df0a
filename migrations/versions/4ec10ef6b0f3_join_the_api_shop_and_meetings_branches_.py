"""join the api, shop and meetings branches of the schema

A merge point only (no schema change): the three branches each started from main's head of
their day. When main takes them in one by one, this file can go and the chain be made linear.

Revision ID: 4ec10ef6b0f3
Revises: 2d60dc68d34e, b7ab25dbbb03, ef009570cc05
Create Date: 2026-11-28 17:40:38.732519

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4ec10ef6b0f3'
down_revision = ('2d60dc68d34e', 'b7ab25dbbb03', 'ef009570cc05')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
