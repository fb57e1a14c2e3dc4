"""the library version new runs start from, as the person chose it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 19:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN: SQLite does it in place, so the table keeps AUTOINCREMENT
    op.add_column('library_profiles', sa.Column('chosen_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(
        'library_profiles', table_kwargs={'sqlite_autoincrement': True}
    ) as batch:
        batch.drop_column('chosen_version')
