"""a person's library a keyset page at a time: an index on (user_id, id)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 10:45:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_library_profiles_user_id_id', 'library_profiles', ['user_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_library_profiles_user_id_id', table_name='library_profiles')
