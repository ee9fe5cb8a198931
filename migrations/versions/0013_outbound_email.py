"""The e-mail outbox (written with the change that causes a message, sent by the worker),
and the kinds of e-mail each user turned off.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:51:12
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbound_email',
    sa.Column('kind', sa.Enum('invitation', 'update_returned', 'obligation_due_soon', 'obligation_due_today', 'obligation_overdue', 'review_digest', name='email_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('recipient_user_id', sa.Uuid(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('state', sa.Enum('pending', 'sending', 'sent', 'failed', name='email_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['recipient_user_id'], ['user_account.id'], name=op.f('fk_outbound_email_recipient_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_email')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbound_email_dedupe_key'))
    )
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_email_recipient_user_id'), ['recipient_user_id'], unique=False)
        batch_op.create_index('ix_outbound_email_state_leased_until', ['state', 'leased_until'], unique=False)
        batch_op.create_index('ix_outbound_email_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)

    # Existing users get an empty list; then the default is the application's (PostgreSQL
    # cannot compare JSON values, so a server default would defeat the drift check).
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_opt_out', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('email_opt_out', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('email_opt_out')

    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_email_state_next_attempt_at')
        batch_op.drop_index('ix_outbound_email_state_leased_until')
        batch_op.drop_index(batch_op.f('ix_outbound_email_recipient_user_id'))

    op.drop_table('outbound_email')
