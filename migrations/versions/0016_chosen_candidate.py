"""the candidate of the chosen iteration the person made the result ("use this one")

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN: SQLite does it in place, so the table keeps AUTOINCREMENT
    op.add_column('runs', sa.Column('chosen_candidate', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('runs', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_column('chosen_candidate')
