"""Drop the generation counters: the item list renders every item on each request now,
so no cache needs telling that an organisation changed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table('generation')


def downgrade() -> None:
    generation = op.create_table(
        'generation',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_generation')),
    )
    op.bulk_insert(generation, [{'name': 'organisations', 'value': 0}])
