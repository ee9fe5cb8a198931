"""Pledges: their GCR objectives, parties, the items they serve, and yearly progress reports.

After 0015 (funding).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:03:08
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('pledge',
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.String(length=4000), nullable=False),
    sa.Column('type', sa.Enum('financial', 'material', 'technical', 'resettlement', 'complementary_pathways', 'policy', name='pledge_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('forum', sa.String(length=100), nullable=False),
    sa.Column('external_ref', sa.String(length=100), nullable=True),
    sa.Column('status', sa.Enum('planning', 'in_progress', 'fulfilled', 'withdrawn', name='pledge_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_pledge_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge')),
    sa.UniqueConstraint('external_ref', name=op.f('uq_pledge_external_ref'))
    )
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.create_index('ix_pledge_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pledge_forum'), ['forum'], unique=False)

    op.create_table('pledge_link',
    sa.Column('pledge_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_pledge_link_item_id_checklist_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledge.id'], name=op.f('fk_pledge_link_pledge_id_pledge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_pledge_link_situation_id_situation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pledge_id', 'item_id', name=op.f('pk_pledge_link')),
    sa.UniqueConstraint('pledge_id', 'situation_id', 'code', name=op.f('uq_pledge_link_pledge_id_situation_id_code'))
    )
    with op.batch_alter_table('pledge_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledge_link_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pledge_link_situation_id'), ['situation_id'], unique=False)

    op.create_table('pledge_objective',
    sa.Column('pledge_id', sa.Uuid(), nullable=False),
    sa.Column('objective', sa.Integer(), nullable=False),
    sa.CheckConstraint('objective BETWEEN 1 AND 4', name=op.f('ck_pledge_objective_objective_range')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledge.id'], name=op.f('fk_pledge_objective_pledge_id_pledge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pledge_id', 'objective', name=op.f('pk_pledge_objective'))
    )
    with op.batch_alter_table('pledge_objective', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledge_objective_objective'), ['objective'], unique=False)

    op.create_table('pledge_party',
    sa.Column('pledge_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.Enum('submitter', 'co_pledger', 'matcher', name='party_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('share_bp', sa.Integer(), nullable=True),
    sa.CheckConstraint('share_bp BETWEEN 1 AND 10000', name=op.f('ck_pledge_party_share_range')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_pledge_party_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledge.id'], name=op.f('fk_pledge_party_pledge_id_pledge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pledge_id', 'organisation_id', name=op.f('pk_pledge_party'))
    )
    with op.batch_alter_table('pledge_party', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledge_party_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('pledge_progress',
    sa.Column('pledge_id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('planning', 'in_progress', 'fulfilled', 'withdrawn', name='pledge_status', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('narrative', sa.String(length=4000), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('submitted_by_id', sa.Uuid(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_pledge_progress_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledge.id'], name=op.f('fk_pledge_progress_pledge_id_pledge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_pledge_progress_submitted_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_progress'))
    )
    with op.batch_alter_table('pledge_progress', schema=None) as batch_op:
        batch_op.create_index('ix_pledge_progress_pledge_year', ['pledge_id', 'year'], unique=False)



def downgrade() -> None:

    with op.batch_alter_table('pledge_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_pledge_progress_pledge_year')

    op.drop_table('pledge_progress')
    with op.batch_alter_table('pledge_party', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_party_organisation_id'))

    op.drop_table('pledge_party')
    with op.batch_alter_table('pledge_objective', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_objective_objective'))

    op.drop_table('pledge_objective')
    with op.batch_alter_table('pledge_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_link_situation_id'))
        batch_op.drop_index(batch_op.f('ix_pledge_link_item_id'))

    op.drop_table('pledge_link')
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_forum'))
        batch_op.drop_index('ix_pledge_created')

    op.drop_table('pledge')

