"""The spine: organisations, users and tokens, situations and members, checklist, events.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 04:45:41.204213
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('organisation',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('acronym', sa.String(length=32), nullable=True),
    sa.Column('type', sa.Enum('government', 'un_agency', 'international_ngo', 'national_ngo', 'faith_based', 'refugee_led', 'ifi', 'regional_organisation', 'private_sector', 'academia', 'media', 'donor', 'red_cross_red_crescent', 'other', name='organisation_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('country', sa.String(length=3), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('name', name=op.f('uq_organisation_name'))
    )
    op.create_table('situation',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('host_country', sa.String(length=3), nullable=False),
    sa.Column('origin_countries', sa.JSON(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('phase', sa.Enum('preparedness', 'emergency', 'stabilisation', 'protracted', 'solutions', name='phase', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.String(length=4000), nullable=True),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('template_version', sa.String(length=32), nullable=False),
    sa.Column('review_policy', sa.Enum('review', 'auto_accept', name='review_policy', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('stale_after_days', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_situation'))
    )
    with op.batch_alter_table('situation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_situation_host_country'), ['host_country'], unique=False)
        batch_op.create_index(batch_op.f('ix_situation_phase'), ['phase'], unique=False)

    op.create_table('checklist_item',
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('element_code', sa.String(length=8), nullable=False),
    sa.Column('pillar', sa.Enum('reception', 'immediate_needs', 'host_support', 'durable_solutions', name='pillar_code', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('paragraph', sa.String(length=8), nullable=False),
    sa.Column('solution', sa.String(length=48), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('text', sa.String(length=4000), nullable=False),
    sa.Column('is_custom', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'planned', 'in_progress', 'in_place', 'not_applicable', name='item_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status_note', sa.String(length=4000), nullable=True),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('last_accepted_update_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_checklist_item_situation_id_situation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_item')),
    sa.UniqueConstraint('situation_id', 'code', name=op.f('uq_checklist_item_situation_id_code'))
    )
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_item_situation_order', ['situation_id', 'sort_order'], unique=False)

    op.create_table('population_figure',
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('population_type', sa.Enum('REF', 'ASY', 'ROC', 'OIP', 'IDP', 'STA', 'OOC', 'HST', name='population_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('female_0_4', sa.BigInteger(), nullable=True),
    sa.Column('female_5_11', sa.BigInteger(), nullable=True),
    sa.Column('female_12_17', sa.BigInteger(), nullable=True),
    sa.Column('female_18_59', sa.BigInteger(), nullable=True),
    sa.Column('female_60_plus', sa.BigInteger(), nullable=True),
    sa.Column('male_0_4', sa.BigInteger(), nullable=True),
    sa.Column('male_5_11', sa.BigInteger(), nullable=True),
    sa.Column('male_12_17', sa.BigInteger(), nullable=True),
    sa.Column('male_18_59', sa.BigInteger(), nullable=True),
    sa.Column('male_60_plus', sa.BigInteger(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_population_figure_situation_id_situation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population_figure')),
    sa.UniqueConstraint('situation_id', 'population_type', 'date', name=op.f('uq_population_figure_situation_id_population_type_date'))
    )
    with op.batch_alter_table('population_figure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_figure_situation_id'), ['situation_id'], unique=False)

    op.create_table('user_account',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_user_account_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('api_token',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('event',
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=True),
    sa.Column('actor_user_id', sa.Uuid(), nullable=True),
    sa.Column('actor_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('item_version', sa.Integer(), nullable=True),
    sa.Column('item_status', sa.Enum('not_started', 'planned', 'in_progress', 'in_place', 'not_applicable', name='item_status', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('item_target_date', sa.Date(), nullable=True),
    sa.Column('item_has_lead', sa.Boolean(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['actor_organisation_id'], ['organisation.id'], name=op.f('fk_event_actor_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user_account.id'], name=op.f('fk_event_actor_user_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_event_item_id_checklist_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_event_situation_id_situation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_item_at', ['item_id', 'at'], unique=False)
        batch_op.create_index('ix_event_situation_at', ['situation_id', 'at'], unique=False)

    op.create_table('item_owner',
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.Enum('lead', 'support', 'funding', 'implementing', name='owner_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_item_owner_item_id_checklist_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_item_owner_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('item_id', 'organisation_id', 'role', name=op.f('pk_item_owner'))
    )
    with op.batch_alter_table('item_owner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_owner_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_item_owner_one_lead', ['item_id'], unique=True, sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))

    op.create_table('membership',
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.Enum('coordinator', 'partner', 'viewer', name='situation_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_membership_situation_id_situation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_membership_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('situation_id', 'user_id', name=op.f('pk_membership'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_user_id'))

    op.drop_table('membership')
    with op.batch_alter_table('item_owner', schema=None) as batch_op:
        batch_op.drop_index('uq_item_owner_one_lead', sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))
        batch_op.drop_index(batch_op.f('ix_item_owner_organisation_id'))

    op.drop_table('item_owner')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_situation_at')
        batch_op.drop_index('ix_event_item_at')

    op.drop_table('event')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_organisation_id'))

    op.drop_table('user_account')
    with op.batch_alter_table('population_figure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_figure_situation_id'))

    op.drop_table('population_figure')
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.drop_index('ix_checklist_item_situation_order')

    op.drop_table('checklist_item')
    with op.batch_alter_table('situation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_situation_phase'))
        batch_op.drop_index(batch_op.f('ix_situation_host_country'))

    op.drop_table('situation')
    op.drop_table('organisation')
