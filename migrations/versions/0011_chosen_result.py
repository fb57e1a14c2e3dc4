"""the iteration the person chose as a finished run's result ("use this one")

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a foreign key needs the table rebuilt on SQLite; it keeps AUTOINCREMENT
    with op.batch_alter_table('runs', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.add_column(sa.Column('chosen_iteration_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            'fk_runs_chosen_iteration', 'iterations', ['chosen_iteration_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('runs', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_constraint('fk_runs_chosen_iteration', type_='foreignkey')
        batch.drop_column('chosen_iteration_id')
