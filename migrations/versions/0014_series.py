"""a series: several intents in one taste, each its own run, shown together

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN: SQLite does it in place, so the table keeps AUTOINCREMENT
    op.add_column('runs', sa.Column('series_key', sa.String(24), nullable=True))
    op.create_index('ix_runs_series_key', 'runs', ['series_key'])


def downgrade() -> None:
    op.drop_index('ix_runs_series_key', table_name='runs')
    with op.batch_alter_table('runs', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_column('series_key')
