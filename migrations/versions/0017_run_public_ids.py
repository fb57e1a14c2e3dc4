"""runs get a random public id for URLs and pages; the integer id stays inside

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 16:10:00
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('runs', sa.Column('public_id', sa.String(16), nullable=True))
    runs = sa.table('runs', sa.column('id', sa.Integer), sa.column('public_id', sa.String))
    connection = op.get_bind()
    for (run_id,) in connection.execute(sa.select(runs.c.id)).all():
        connection.execute(
            runs.update().where(runs.c.id == run_id).values(public_id=secrets.token_urlsafe(8))
        )
    with op.batch_alter_table('runs', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.alter_column('public_id', existing_type=sa.String(16), nullable=False)
    op.create_index('ix_runs_public_id', 'runs', ['public_id'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_runs_public_id', table_name='runs')
    with op.batch_alter_table('runs', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_column('public_id')
