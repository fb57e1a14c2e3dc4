"""learned style: a run's style controls, and the critic's evidence behind its sentence

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 11:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('iterations') as batch:
        batch.add_column(sa.Column('evidence', sa.Text(), nullable=True))
    with op.batch_alter_table('runs') as batch:
        batch.add_column(sa.Column('style_strength', sa.Float(), nullable=True))
        batch.add_column(sa.Column('reference_weights', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('runs') as batch:
        batch.drop_column('reference_weights')
        batch.drop_column('style_strength')
    with op.batch_alter_table('iterations') as batch:
        batch.drop_column('evidence')
