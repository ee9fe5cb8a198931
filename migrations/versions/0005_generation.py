"""Generation counters (organisations): item-list caches see a renamed owner at once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 08:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    generation = op.create_table(
        'generation',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_generation')),
    )
    op.bulk_insert(generation, [{'name': 'organisations', 'value': 0}])


def downgrade() -> None:
    op.drop_table('generation')
