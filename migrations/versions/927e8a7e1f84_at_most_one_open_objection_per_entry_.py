"""At most one open objection per entry, enforced by the database

Revision ID: 927e8a7e1f84
Revises: 85e65a5f2cf8
Create Date: 2026-11-28 06:02:01.764965

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '927e8a7e1f84'
down_revision = '85e65a5f2cf8'
branch_labels = None
depends_on = None


def upgrade():
    # Existing duplicates (possible before this index) keep only the newest open objection.
    op.execute(
        "UPDATE objections SET status = 'upheld', answer = 'duplicate objection' "
        "WHERE status = 'open' AND id NOT IN "
        "(SELECT max(id) FROM objections WHERE status = 'open' GROUP BY entry_id)")
    op.create_index('uq_objections_open_entry', 'objections', ['entry_id'], unique=True,
                    sqlite_where=sa.text("status = 'open'"),
                    postgresql_where=sa.text("status = 'open'"))


def downgrade():
    op.drop_index('uq_objections_open_entry', table_name='objections')
