"""variations: the picture a run was started around ("more like this")

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a foreign key needs the table rebuilt on SQLite; it keeps AUTOINCREMENT
    with op.batch_alter_table('runs', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.add_column(sa.Column('varied_from_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            'fk_runs_varied_from', 'iterations', ['varied_from_id'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('runs', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_constraint('fk_runs_varied_from', type_='foreignkey')
        batch.drop_column('varied_from_id')
