"""Regions keep their national division code, an active flag and a merge pointer; accounts
may be marked to change their one-time password at first sign-in; rulebook templates that
villages' rules adopt

Revision ID: c0de12a5e7d1
Revises: 5ec0a7d17a01
Create Date: 2026-11-28 17:10:55.430862

"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c0de12a5e7d1'
down_revision = '5ec0a7d17a01'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ADD COLUMN, never a batch table rebuild: on SQLite a rebuild drops
    # `regions`, which every household, grid and account references.
    op.add_column('regions', sa.Column('code', sa.String(length=12), nullable=True))
    op.add_column('regions', sa.Column('active', sa.Boolean(), server_default=sa.true(),
                                       nullable=False))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE regions ADD COLUMN merged_into_id INTEGER REFERENCES regions (id)')
    else:
        op.add_column('regions', sa.Column('merged_into_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_regions_merged_into_id_regions'), 'regions', 'regions',
                              ['merged_into_id'], ['id'])
    op.create_index(op.f('ix_regions_code'), 'regions', ['code'], unique=True)
    op.create_table(
        'rulebook_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('star2', sa.Integer(), nullable=False),
        sa.Column('star3', sa.Integer(), nullable=False),
        sa.Column('star4', sa.Integer(), nullable=False),
        sa.Column('star5', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'],
                                name=op.f('fk_rulebook_templates_region_id_regions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rulebook_templates')),
        sa.UniqueConstraint('region_id', 'name', name=op.f('uq_rulebook_templates_region_id_name')),
    )
    op.create_index(op.f('ix_rulebook_templates_region_id'), 'rulebook_templates', ['region_id'])
    op.create_table(
        'template_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('description', sa.String(length=500), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('limit_count', sa.Integer(), nullable=True),
        sa.Column('limit_period', sa.String(length=8), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.CheckConstraint('points <> 0', name=op.f('ck_template_rules_points_nonzero')),
        sa.ForeignKeyConstraint(['template_id'], ['rulebook_templates.id'],
                                name=op.f('fk_template_rules_template_id_rulebook_templates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_template_rules')),
        sa.UniqueConstraint('template_id', 'code', name=op.f('uq_template_rules_template_id_code')),
    )
    # Villages' rules adopted from a template line (plain ADD COLUMN: no rebuild of `rules`,
    # which ledger entries reference).
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE rules ADD COLUMN template_rule_id INTEGER '
                   'REFERENCES template_rules (id)')
    else:
        op.add_column('rules', sa.Column('template_rule_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_rules_template_rule_id_template_rules'), 'rules',
                              'template_rules', ['template_rule_id'], ['id'])
    op.create_index(op.f('ix_rules_template_rule_id'), 'rules', ['template_rule_id'])
    op.add_column('rules', sa.Column('customised', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))


def downgrade():
    op.drop_index(op.f('ix_rules_template_rule_id'), table_name='rules')
    with op.batch_alter_table('rules', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':
            batch_op.drop_constraint(op.f('fk_rules_template_rule_id_template_rules'),
                                     type_='foreignkey')
        batch_op.drop_column('customised')
        batch_op.drop_column('template_rule_id')
    op.drop_table('template_rules')
    op.drop_index(op.f('ix_rulebook_templates_region_id'), table_name='rulebook_templates')
    op.drop_table('rulebook_templates')
    op.drop_index(op.f('ix_regions_code'), table_name='regions')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':
            batch_op.drop_constraint(batch_op.f('fk_regions_merged_into_id_regions'),
                                     type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('active')
        batch_op.drop_column('code')
