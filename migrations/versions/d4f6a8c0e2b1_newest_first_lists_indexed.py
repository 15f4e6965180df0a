"""meetings and issues indexed newest first, (starts_at, id) and (created_at, id), so an
official's list of a whole city or county is an index walk that stops after a page, not a sort
of every meeting or issue under it

Revision ID: d4f6a8c0e2b1
Revises: b7d2e4f6a8c1
Create Date: 2026-12-07 17:45:00.000000

Measured on a bench city (bench/city_pages.py, 1,945 villages, 15,682 meetings and 31,200
issues over two years, PostgreSQL): the city's /meetings query went from 9.7 ms (a hash join of
every meeting and a top-N sort) to 0.5 ms, /issues from 31 ms to about 1 ms. A township's lists
keep the (village_id, ...) indexes: the planner takes whichever reads less.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4f6a8c0e2b1'
down_revision = 'b7d2e4f6a8c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_meetings_starts_at_id", "meetings", ["starts_at", "id"])
    op.create_index("ix_issues_created_at_id", "issues", ["created_at", "id"])


def downgrade():
    op.drop_index("ix_issues_created_at_id", table_name="issues")
    op.drop_index("ix_meetings_starts_at_id", table_name="meetings")
