"""Partner updates (submit, review), idempotency keys, and events that name their update.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:57:44.218011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('idempotency_key',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.String(length=300), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.JSON(), nullable=True),
    sa.Column('response_headers', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_idempotency_key_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'scope', 'key', name=op.f('pk_idempotency_key'))
    )
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_key_expires_at'), ['expires_at'], unique=False)

    op.create_table('partner_update',
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('item_code', sa.String(length=48), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('submitted_by_id', sa.Uuid(), nullable=True),
    sa.Column('state', sa.Enum('submitted', 'accepted', 'returned', name='update_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('proposed_status', sa.Enum('not_started', 'planned', 'in_progress', 'in_place', 'not_applicable', name='item_status', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('status_note', sa.String(length=4000), nullable=True),
    sa.Column('narrative', sa.String(length=8000), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Uuid(), nullable=True),
    sa.Column('review_comment', sa.String(length=2000), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_partner_update_item_id_checklist_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_partner_update_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_partner_update_reviewed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_partner_update_situation_id_situation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_partner_update_submitted_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_update'))
    )
    with op.batch_alter_table('partner_update', schema=None) as batch_op:
        batch_op.create_index('ix_partner_update_item_submitted', ['item_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_update_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_partner_update_situation_state', ['situation_id', 'state'], unique=False)
        batch_op.create_index('ix_partner_update_situation_submitted', ['situation_id', 'submitted_at'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('update_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_event_update_id'), ['update_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_event_update_id_partner_update'), 'partner_update', ['update_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_update_id_partner_update'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_event_update_id'))
        batch_op.drop_column('update_id')

    with op.batch_alter_table('partner_update', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_update_situation_submitted')
        batch_op.drop_index('ix_partner_update_situation_state')
        batch_op.drop_index(batch_op.f('ix_partner_update_organisation_id'))
        batch_op.drop_index('ix_partner_update_item_submitted')

    op.drop_table('partner_update')
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_key_expires_at'))

    op.drop_table('idempotency_key')
