"""One event per item version (item_id, item_version): a past day's checklist is rebuilt from them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 05:10:33.818321
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_event_item_id_item_version'), ['item_id', 'item_version'])



def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_event_item_id_item_version'), type_='unique')

