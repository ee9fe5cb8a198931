"""UNHCR population types for returns: RET (returned refugees), RDP (returned IDPs) and
IOC (others of concern) join the CHECK constraint on population figures.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:50:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = 'ck_population_figure_population_type'
BEFORE = ('REF', 'ASY', 'ROC', 'OIP', 'IDP', 'STA', 'OOC', 'HST')
ADDED = ('RET', 'RDP', 'IOC')


def _allow(types: Sequence[str]) -> None:
    # Batch mode copies the table on SQLite; on PostgreSQL it alters the constraint in place.
    with op.batch_alter_table('population_figure', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CONSTRAINT), type_='check')
        batch_op.create_check_constraint(
            op.f(CONSTRAINT), 'population_type IN (' + ', '.join(f"'{t}'" for t in types) + ')'
        )


def upgrade() -> None:
    _allow(BEFORE + ADDED)


def downgrade() -> None:
    # The older schema cannot hold these types: their figures go.
    op.execute(
        'DELETE FROM population_figure WHERE population_type IN ('
        + ', '.join(f"'{t}'" for t in ADDED) + ')'
    )
    _allow(BEFORE)
