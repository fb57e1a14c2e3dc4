"""painter inputs, pairwise verdicts and gate notes: what each generation request carried,
whether the critic's two swapped answers chose the iteration as the best, and a person's note
at the gate with what the engine made of it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('iterations') as batch:
        batch.add_column(sa.Column('generation', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('comparison', sa.JSON(), nullable=True))
    with op.batch_alter_table('runs') as batch:
        batch.add_column(sa.Column('inputs_refused', sa.Text(), nullable=True))
    with op.batch_alter_table('gates') as batch:
        batch.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch.add_column(sa.Column('note_effect', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('gates') as batch:
        batch.drop_column('note_effect')
        batch.drop_column('note')
    with op.batch_alter_table('runs') as batch:
        batch.drop_column('inputs_refused')
    with op.batch_alter_table('iterations') as batch:
        batch.drop_column('comparison')
        batch.drop_column('generation')
