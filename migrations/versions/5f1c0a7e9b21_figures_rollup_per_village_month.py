"""figures rollup: per-village per-month counters, households reached, cadres; backfilled

Revision ID: 5f1c0a7e9b21
Revises: f07fe77a3a70
Create Date: 2026-11-28 22:00:00.000000

The backfill is a frozen copy of app/issues/recount.py's rebuild as it is at this revision
(migrations must not follow later changes of the app's code); `flask figures verify` checks it.
"""
import os
from collections import defaultdict
from datetime import UTC
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5f1c0a7e9b21'
down_revision = 'f07fe77a3a70'
branch_labels = None
depends_on = None

FORMATS = ("group", "forum", "home_visit", "reception", "online")
COUNTERS = ("attendances", "issues", "suggestions", "resolved", "on_time", "resolve_seconds",
            "answered", "satisfied")
FIELDS = tuple(f"meetings_{f}" for f in FORMATS) + COUNTERS


def _counter(name, big=False):
    return sa.Column(name, sa.BigInteger() if big else sa.Integer(), server_default='0',
                     nullable=False)


def upgrade():
    op.create_table('figure_months',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    *[_counter(name, name == 'resolve_seconds') for name in FIELDS],
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_figure_months_village_id_regions')),
    sa.PrimaryKeyConstraint('village_id', 'month', name=op.f('pk_figure_months'))
    )
    op.create_table('figure_reach',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_figure_reach_household_id_households')),
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_figure_reach_village_id_regions')),
    sa.PrimaryKeyConstraint('village_id', 'month', 'household_id', name=op.f('pk_figure_reach'))
    )
    op.create_table('figure_cadres',
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('cadre', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_figure_cadres_village_id_regions')),
    sa.PrimaryKeyConstraint('village_id', 'month', 'level', 'cadre', name=op.f('pk_figure_cadres'))
    )
    _backfill(op.get_bind())


def _zone():
    try:
        from flask import current_app

        return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    except (RuntimeError, KeyError):
        return ZoneInfo(os.environ.get("LIANXIN_TIMEZONE", "Asia/Shanghai"))


def _aware(value):
    if isinstance(value, str):  # SQLite hands back text through a plain Core query
        from datetime import datetime

        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _backfill(conn):
    zone = _zone()

    def month(value):
        local = _aware(value).astimezone(zone)
        return local.year * 100 + local.month

    months = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    held = {}
    for mid, vid, fmt, starts in conn.execute(sa.text(
            "SELECT id, village_id, format, starts_at FROM meetings WHERE status != 'planned'")):
        held[mid] = (vid, month(starts))
        months[held[mid]][f"meetings_{fmt}"] += 1
    for mid, n in conn.execute(sa.text(
            "SELECT meeting_id, count(*) FROM attendances GROUP BY meeting_id")):
        if mid in held:
            months[held[mid]]["attendances"] += n
    for vid, kind, status, deadline, satisfied, created, resolved in conn.execute(sa.text(
            "SELECT village_id, kind, status, deadline, satisfied, created_at, resolved_at FROM issues")):
        counters = months[vid, month(created)]
        done = status in ("resolved", "confirmed") and resolved is not None
        if isinstance(deadline, str):
            from datetime import date

            deadline = date.fromisoformat(deadline)
        counters["issues" if kind == "issue" else "suggestions"] += 1
        if done:
            counters["resolved"] += 1
            resolved, created = _aware(resolved), _aware(created)
            counters["on_time"] += int(deadline is not None and resolved.astimezone(zone).date() <= deadline)
            counters["resolve_seconds"] += round((resolved - created).total_seconds())
        if satisfied is not None:
            counters["answered"] += 1
            counters["satisfied"] += int(bool(satisfied))
    table = sa.table('figure_months', sa.column('village_id'), sa.column('month'),
                     *[sa.column(f) for f in FIELDS])
    rows = [{"village_id": v, "month": m, **c} for (v, m), c in months.items() if any(c.values())]
    if rows:
        conn.execute(table.insert(), rows)
    if not held:
        return
    temp = sa.Table("tmp_figure_meetings", sa.MetaData(),
                    sa.Column("meeting_id", sa.Integer, primary_key=True),
                    sa.Column("village_id", sa.Integer), sa.Column("month", sa.Integer),
                    prefixes=["TEMPORARY"])
    temp.create(conn)
    conn.execute(temp.insert(), [{"meeting_id": k, "village_id": v, "month": m}
                                 for k, (v, m) in held.items()])
    conn.execute(sa.text(
        "INSERT INTO figure_reach (village_id, month, household_id) "
        "SELECT DISTINCT t.village_id, t.month, a.household_id FROM attendances a "
        "JOIN tmp_figure_meetings t ON t.meeting_id = a.meeting_id"))
    conn.execute(sa.text(
        "INSERT INTO figure_cadres (village_id, month, level, cadre) "
        "SELECT DISTINCT t.village_id, t.month, h.level, "
        "COALESCE(CAST(h.user_id AS VARCHAR), CAST(t.village_id AS VARCHAR) || ':' || h.name) "
        "FROM meeting_hosts h JOIN tmp_figure_meetings t ON t.meeting_id = h.meeting_id"))
    temp.drop(conn)


def downgrade():
    op.drop_table('figure_cadres')
    op.drop_table('figure_reach')
    op.drop_table('figure_months')
