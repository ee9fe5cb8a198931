"""Organisation names unique ignoring case in any script (name_key); an index for the review backlog.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 05:40:00
"""
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

organisation = sa.table('organisation', sa.column('id', sa.Uuid()), sa.column('name', sa.String()), sa.column('name_key', sa.String()))


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=600), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(organisation.c.id, organisation.c.name)).all():
        key = unicodedata.normalize('NFKC', row.name).casefold()
        connection.execute(organisation.update().where(organisation.c.id == row.id).values(name_key=key))
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=600), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_organisation_name'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_organisation_name_key'), ['name_key'])
    with op.batch_alter_table('partner_update', schema=None) as batch_op:
        batch_op.create_index('ix_partner_update_state', ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('partner_update', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_update_state')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisation_name_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_organisation_name'), ['name'])
        batch_op.drop_column('name_key')
