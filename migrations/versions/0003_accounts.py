"""accounts: a session version (logout and password change revoke every session) and disabling

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 06:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(
            sa.Column('session_version', sa.Integer(), nullable=False, server_default='0')
        )
        batch.add_column(
            sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('disabled')
        batch.drop_column('session_version')
