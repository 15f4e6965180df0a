"""figures: every region's months above the village (township, county, city), kept with the
village rollup; backfilled from the villages' rows

Revision ID: a3c5e7f9b1d2
Revises: 5d2b8e1c7a40
Create Date: 2026-12-07 15:00:00.000000

The backfill is a frozen copy of app/figures/regions.py's recount at this revision: each
village's months added to every region above it by the paths' prefix ranges, `invited` as the
village's meetings held times its active households; the reach counts summed the same way.
Also an index that lets the figures count a region's overdue issues without reading their rows. `flask figures verify` checks it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c5e7f9b1d2'
down_revision = '5d2b8e1c7a40'
branch_labels = None
depends_on = None

MEETINGS = ("meetings_group", "meetings_forum", "meetings_home_visit", "meetings_reception",
            "meetings_online")
COUNTERS = ("attendances", "issues", "suggestions", "resolved", "on_time", "resolve_seconds",
            "answered", "satisfied")

UNDER = "JOIN regions v ON v.path >= a.path AND v.path < substr(a.path, 1, length(a.path) - 1) || '0'"


def _counter(name, big=False):
    return sa.Column(name, sa.BigInteger() if big else sa.Integer(), server_default='0',
                     nullable=False)


def upgrade():
    op.create_table('figure_region_months',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    *[_counter(name, name == "resolve_seconds") for name in MEETINGS + COUNTERS],
    _counter('invited', True),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'],
                            name=op.f('fk_figure_region_months_region_id_regions')),
    sa.PrimaryKeyConstraint('region_id', 'month', name=op.f('pk_figure_region_months'))
    )
    op.create_table('figure_region_reach',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('since', sa.Integer(), nullable=False),
    _counter('households'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'],
                            name=op.f('fk_figure_region_reach_region_id_regions')),
    sa.PrimaryKeyConstraint('region_id', 'month', 'since', name=op.f('pk_figure_region_reach'))
    )
    op.create_index('ix_issues_overdue_village', 'issues',
                    ['status', 'deadline', 'village_id', 'created_at'], unique=False)
    fields = ", ".join(MEETINGS + COUNTERS)
    sums = ", ".join(f"sum(f.{k})" for k in MEETINGS + COUNTERS)
    held = " + ".join(f"f.{k}" for k in MEETINGS)
    op.execute(f"""
INSERT INTO figure_region_months (region_id, month, {fields}, invited)
SELECT a.id, f.month, {sums}, sum(({held}) * coalesce(h.households, 0))
FROM regions a {UNDER}
JOIN figure_months f ON f.village_id = v.id
LEFT JOIN figure_villages h ON h.village_id = v.id
WHERE v.level = 4 AND a.level < 4
GROUP BY a.id, f.month""")
    op.execute(f"""
INSERT INTO figure_region_reach (region_id, month, since, households)
SELECT a.id, r.month, r.since, sum(r.households)
FROM regions a {UNDER}
JOIN figure_reach_counts r ON r.village_id = v.id
WHERE v.level = 4 AND a.level < 4
GROUP BY a.id, r.month, r.since""")


def downgrade():
    op.drop_index('ix_issues_overdue_village', table_name='issues')
    op.drop_table('figure_region_reach')
    op.drop_table('figure_region_months')
