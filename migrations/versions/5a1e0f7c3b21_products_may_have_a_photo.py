"""products may have a photo

Revision ID: 5a1e0f7c3b21
Revises: 2d60dc68d34e
Create Date: 2026-11-28 22:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1e0f7c3b21'
down_revision = '2d60dc68d34e'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column: SQLite adds it in place, no table rebuild.
    op.add_column('products', sa.Column('photo', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('products') as batch_op:
        batch_op.drop_column('photo')
