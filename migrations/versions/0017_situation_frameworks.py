"""The context frameworks a situation adopts beside its checklist (issue 16), each at the
version it adopted.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 02:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
# Written after 0014; the merge re-chains it after 0015 and 0016.
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('situation_framework',
    sa.Column('situation_id', sa.Uuid(), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('template_version', sa.String(length=32), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['situation_id'], ['situation.id'], name=op.f('fk_situation_framework_situation_id_situation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_situation_framework')),
    sa.UniqueConstraint('situation_id', 'template_id', name=op.f('uq_situation_framework_situation_id_template_id'))
    )


def downgrade() -> None:
    op.drop_table('situation_framework')
