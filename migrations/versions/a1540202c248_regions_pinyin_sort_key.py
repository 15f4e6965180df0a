"""regions: each name's pinyin sort key (app.i18n.sort_key), indexed by level, so the figures
page of a city's villages in name order is an index walk of one page; backfilled

Revision ID: a1540202c248
Revises: c8e1f3a5b7d9
Create Date: 2026-12-07 20:30:00.000000

The backfill computes each region's key with app.i18n.sort_key, the function the model's
listener calls on every insert and update (app/models/region.py): the key is a function of the
name that the app owns, and `flask figures verify` reports any region whose key differs from it.
"""
from alembic import op
import sqlalchemy as sa

from app.i18n import SORT_KEY_LENGTH, sort_key


# revision identifiers, used by Alembic.
revision = 'a1540202c248'
down_revision = 'c8e1f3a5b7d9'
branch_labels = None
depends_on = None

KEY_TYPE = sa.String(length=SORT_KEY_LENGTH).with_variant(
    sa.String(length=SORT_KEY_LENGTH, collation='C'), 'postgresql')


def upgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_key', KEY_TYPE, server_default='', nullable=False))
    regions = sa.table('regions', sa.column('id', sa.Integer), sa.column('name', sa.String),
                       sa.column('sort_key', sa.String))
    bind = op.get_bind()
    keys = [{"rid": rid, "key": sort_key(name)}
            for rid, name in bind.execute(sa.select(regions.c.id, regions.c.name))]
    if keys:
        bind.execute(regions.update().where(regions.c.id == sa.bindparam("rid"))
                     .values(sort_key=sa.bindparam("key")), keys)
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index('ix_regions_level_sort_key', ['level', 'sort_key', 'id'], unique=False)


def _foreign_keys(on: bool) -> None:
    """SQLite drops the column by rebuilding `regions`, and every table referencing it would
    refuse the DROP: foreign keys are switched off around the rebuild (only possible between
    transactions, so the migration's transaction is committed and begun again)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("COMMIT")
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
        op.execute("BEGIN IMMEDIATE")


def downgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index('ix_regions_level_sort_key')
    _foreign_keys(False)
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('sort_key')
    _foreign_keys(True)
