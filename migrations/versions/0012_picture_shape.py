"""a run's picture shape: aspect ratio and size class

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN: SQLite does it in place, so the table keeps AUTOINCREMENT; runs made before
    # shapes were offered were square 1K
    op.add_column(
        'runs', sa.Column('aspect', sa.String(8), nullable=False, server_default='1:1')
    )
    op.add_column(
        'runs', sa.Column('image_size', sa.String(4), nullable=False, server_default='1K')
    )


def downgrade() -> None:
    with op.batch_alter_table('runs', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_column('image_size')
        batch.drop_column('aspect')
