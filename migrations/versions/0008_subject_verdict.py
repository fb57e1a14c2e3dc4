"""the subject verdict: which parts of the intent each iteration's picture shows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN: SQLite does it in place, so the table keeps AUTOINCREMENT
    op.add_column('iterations', sa.Column('subject', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('iterations', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_column('subject')
