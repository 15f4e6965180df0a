"""household cards: when a PIN was last reset, by whom and why (fixes: PIN resets are told)

Revision ID: c4e8a2f6b1d3
Revises: b3d5f7a9c1e2
Create Date: 2026-12-07 09:40:00.000000

A committee that resets a card's PIN could spend the household's points; the reset now needs a
reason, is kept on the card and told to the household (notification and its next receipt).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a2f6b1d3'
down_revision = 'b3d5f7a9c1e2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('household_cards', sa.Column('pin_reset_at', sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its named foreign key in place; a batch rebuild of the table
        # would have to carry its partial unique index and checks over by hand.
        op.execute("ALTER TABLE household_cards ADD COLUMN pin_reset_by_id INTEGER "
                   "CONSTRAINT fk_household_cards_pin_reset_by_id_users REFERENCES users (id)")
    else:
        op.add_column('household_cards', sa.Column('pin_reset_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_household_cards_pin_reset_by_id_users'), 'household_cards',
                              'users', ['pin_reset_by_id'], ['id'])
    op.add_column('household_cards', sa.Column('pin_reset_reason', sa.String(length=500),
                                               nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('household_cards') as batch_op:
        batch_op.drop_column('pin_reset_reason')
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(op.f('fk_household_cards_pin_reset_by_id_users'),
                                     type_='foreignkey')
        batch_op.drop_column('pin_reset_by_id')
        batch_op.drop_column('pin_reset_at')
