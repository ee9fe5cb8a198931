"""Summaries read indexes, not rows: whether an item has a lead is kept on the item, and
covering indexes serve the per-situation figures, the pending counts and the roll-up.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 11:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('has_lead', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE checklist_item SET has_lead = EXISTS (SELECT 1 FROM item_owner o "
        "WHERE o.item_id = checklist_item.id AND o.role = 'lead')"
    )
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.create_index(
            'ix_checklist_item_situation_figures',
            ['situation_id', 'pillar', 'status', 'has_lead', 'target_date',
             'last_accepted_update_at', 'created_at'],
            unique=False,
        )
        batch_op.create_index(
            'ix_checklist_item_element_status',
            ['element_code', 'pillar', 'status', 'is_custom', 'sort_order', 'title'],
            unique=False,
        )
    with op.batch_alter_table('partner_update', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_update_state')
        batch_op.create_index('ix_partner_update_state_situation', ['state', 'situation_id'], unique=False)
        batch_op.drop_index('ix_partner_update_item_submitted')
        batch_op.create_index(
            'ix_partner_update_item_submitted', ['item_id', 'submitted_at', 'reviewed_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('partner_update', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_update_item_submitted')
        batch_op.create_index('ix_partner_update_item_submitted', ['item_id', 'submitted_at'], unique=False)
        batch_op.drop_index('ix_partner_update_state_situation')
        batch_op.create_index('ix_partner_update_state', ['state'], unique=False)
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.drop_index('ix_checklist_item_element_status')
        batch_op.drop_index('ix_checklist_item_situation_figures')
        batch_op.drop_column('has_lead')
