"""Money: requirements per item and year, funding flows, the part of each that serves an item,
and each item's funding totals.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:03:05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('funding_flow',
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('pledge', 'commitment', 'paid', name='flow_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('source_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('destination_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('amount', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.String(length=40), nullable=False),
    sa.Column('amount_usd_cents', sa.BigInteger(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('budget_year', sa.Integer(), nullable=False),
    sa.Column('fts_flow_id', sa.String(length=64), nullable=True),
    sa.Column('iati_activity_id', sa.String(length=150), nullable=True),
    sa.Column('description', sa.String(length=4000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_funding_flow_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['destination_organisation_id'], ['organisation.id'], name=op.f('fk_funding_flow_destination_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_funding_flow_situation_id_situation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_organisation_id'], ['organisation.id'], name=op.f('fk_funding_flow_source_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funding_flow')),
    sa.UniqueConstraint('situation_id', 'fts_flow_id', name=op.f('uq_funding_flow_situation_id_fts_flow_id'))
    )
    with op.batch_alter_table('funding_flow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funding_flow_destination_organisation_id'), ['destination_organisation_id'], unique=False)
        batch_op.create_index('ix_funding_flow_situation_date', ['situation_id', 'date'], unique=False)
        batch_op.create_index(batch_op.f('ix_funding_flow_source_organisation_id'), ['source_organisation_id'], unique=False)

    op.create_table('funding_requirement',
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('element_code', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_usd_cents', sa.BigInteger(), nullable=False),
    sa.Column('budget_status', sa.Enum('indicative', 'committed', name='budget_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_funding_requirement_item_id_checklist_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_funding_requirement_situation_id_situation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funding_requirement')),
    sa.UniqueConstraint('item_id', 'year', name=op.f('uq_funding_requirement_item_id_year'))
    )
    with op.batch_alter_table('funding_requirement', schema=None) as batch_op:
        batch_op.create_index('ix_funding_requirement_situation_item', ['situation_id', 'item_id'], unique=False)

    op.create_table('funding_flow_item',
    sa.Column('flow_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('element_code', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pledge', 'commitment', 'paid', name='flow_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('amount_usd_cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['flow_id'], ['funding_flow.id'], name=op.f('fk_funding_flow_item_flow_id_funding_flow'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_funding_flow_item_item_id_checklist_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_funding_flow_item_situation_id_situation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('flow_id', 'item_id', name=op.f('pk_funding_flow_item'))
    )
    with op.batch_alter_table('funding_flow_item', schema=None) as batch_op:
        batch_op.create_index('ix_funding_flow_item_item', ['item_id'], unique=False)
        batch_op.create_index('ix_funding_flow_item_situation_code', ['situation_id', 'code'], unique=False)

    op.create_table('item_funding',
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('element_code', sa.String(length=8), nullable=False),
    sa.Column('required_cents', sa.BigInteger(), nullable=False),
    sa.Column('committed_cents', sa.BigInteger(), nullable=False),
    sa.Column('paid_cents', sa.BigInteger(), nullable=False),
    sa.Column('pledged_cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_item_funding_item_id_checklist_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_item_funding_situation_id_situation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_item_funding'))
    )
    with op.batch_alter_table('item_funding', schema=None) as batch_op:
        batch_op.create_index('ix_item_funding_element', ['element_code', 'situation_id', 'required_cents', 'committed_cents', 'paid_cents', 'pledged_cents'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_funding_situation_id'), ['situation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('item_funding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_funding_situation_id'))
        batch_op.drop_index('ix_item_funding_element')

    op.drop_table('item_funding')
    with op.batch_alter_table('funding_flow_item', schema=None) as batch_op:
        batch_op.drop_index('ix_funding_flow_item_situation_code')
        batch_op.drop_index('ix_funding_flow_item_item')

    op.drop_table('funding_flow_item')
    with op.batch_alter_table('funding_requirement', schema=None) as batch_op:
        batch_op.drop_index('ix_funding_requirement_situation_item')

    op.drop_table('funding_requirement')
    with op.batch_alter_table('funding_flow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funding_flow_source_organisation_id'))
        batch_op.drop_index('ix_funding_flow_situation_date')
        batch_op.drop_index(batch_op.f('ix_funding_flow_destination_organisation_id'))

    op.drop_table('funding_flow')
