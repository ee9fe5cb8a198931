"""Reporting cycles and the obligations they create (one organisation, one item, one cycle),
with the marks of the reminders recorded for each; the days before a due date that a
situation's "due soon" reminder goes (``reminder_days_before``, 3 for every situation).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 22:50:38
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reporting_cycle',
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('reporting_roles', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('open', 'closed', name='cycle_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_reporting_cycle_situation_id_situation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_cycle'))
    )
    with op.batch_alter_table('reporting_cycle', schema=None) as batch_op:
        batch_op.create_index('ix_reporting_cycle_situation_period', ['situation_id', 'period_start'], unique=False)

    op.create_table('obligation',
    sa.Column('cycle_id', sa.Uuid(), nullable=False),
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('item_code', sa.String(length=48), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.Enum('lead', 'support', 'funding', 'implementing', name='owner_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('state', sa.Enum('due', 'submitted', 'accepted', 'returned', 'overdue', 'waived', name='obligation_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('update_id', sa.Uuid(), nullable=True),
    sa.Column('waived_reason', sa.String(length=2000), nullable=True),
    sa.Column('waived_by_id', sa.Uuid(), nullable=True),
    sa.Column('due_soon_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_today_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['reporting_cycle.id'], name=op.f('fk_obligation_cycle_id_reporting_cycle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_obligation_item_id_checklist_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_obligation_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_obligation_situation_id_situation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['update_id'], ['partner_update.id'], name=op.f('fk_obligation_update_id_partner_update'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['waived_by_id'], ['user_account.id'], name=op.f('fk_obligation_waived_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_obligation')),
    sa.UniqueConstraint('cycle_id', 'item_id', 'organisation_id', name=op.f('uq_obligation_cycle_id_item_id_organisation_id'))
    )
    with op.batch_alter_table('obligation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_obligation_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_obligation_organisation_item', ['organisation_id', 'item_id'], unique=False)
        batch_op.create_index('ix_obligation_situation_state', ['situation_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligation_update_id'), ['update_id'], unique=False)

    with op.batch_alter_table('situation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days_before', sa.Integer(), server_default=sa.text('3'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('obligation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_obligation_update_id'))
        batch_op.drop_index('ix_obligation_situation_state')
        batch_op.drop_index('ix_obligation_organisation_item')
        batch_op.drop_index(batch_op.f('ix_obligation_item_id'))

    op.drop_table('obligation')
    with op.batch_alter_table('reporting_cycle', schema=None) as batch_op:
        batch_op.drop_index('ix_reporting_cycle_situation_period')

    op.drop_table('reporting_cycle')

    with op.batch_alter_table('situation', schema=None) as batch_op:
        batch_op.drop_column('reminder_days_before')
