"""history pages: an index for a person's runs newest first (keyset pages, no OFFSET scans)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CREATE INDEX leaves the table as it is (AUTOINCREMENT kept on SQLite)
    op.create_index('ix_runs_user_id_id', 'runs', ['user_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_runs_user_id_id', table_name='runs')
