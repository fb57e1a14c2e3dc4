"""ids never reused, a random secret in every session, spending as a ledger

- SQLite hands a deleted highest row id out again unless the table is AUTOINCREMENT: every table
  with an integer key is rebuilt with it (PostgreSQL's sequences never reuse one).
- `users.session_token` (random) replaces `session_version` in every cookie's identity, so no
  cookie of a deleted account can ever name the account that gets its id.
- `users.spending_key`, and the spending tables: an append-only ledger of what was spent, each
  account-month's totals (checked and held atomically against the cap), and the holds made before
  a turn's calls. The ledger keeps only the opaque key, and outlives runs and accounts. What the
  stored usage already says was spent is written into it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:00:00
"""
import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# every table with an integer primary key, parents before children
INTEGER_KEYED = (
    'users', 'runs', 'reference_images', 'profile_versions', 'iterations', 'gates',
    'library_profiles', 'library_versions', 'library_references',
)


def _month(moment: datetime | str | None) -> str:
    if moment is None:
        return datetime.now(UTC).strftime('%Y-%m')
    if isinstance(moment, str):
        return moment[:7]
    return moment.strftime('%Y-%m')


def _cost(calls: object) -> float:
    if isinstance(calls, str):
        import json

        calls = json.loads(calls)
    return sum(float(c.get('cost_usd') or 0) for c in calls or () if isinstance(c, dict))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for table in INTEGER_KEYED:
            with op.batch_alter_table(
                table, recreate='always', table_kwargs={'sqlite_autoincrement': True}
            ):
                pass

    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_token', sa.String(64), nullable=True))
        batch.add_column(sa.Column('spending_key', sa.String(64), nullable=True))
    users = sa.table(
        'users', sa.column('id', sa.Integer), sa.column('session_token', sa.String),
        sa.column('spending_key', sa.String),
    )
    keys: dict[int, str] = {}
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        # an existing account's ledger key is random: the app's secret, which keys new ones to
        # the email address, is not known to a migration
        keys[user_id] = secrets.token_hex(32)
        bind.execute(
            users.update().where(users.c.id == user_id)
            .values(session_token=secrets.token_hex(32), spending_key=keys[user_id])
        )
    # a rebuilt SQLite table keeps AUTOINCREMENT only when asked again (reflection drops it)
    with op.batch_alter_table('users', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.alter_column('session_token', existing_type=sa.String(64), nullable=False)
        batch.alter_column('spending_key', existing_type=sa.String(64), nullable=False)
        batch.drop_column('session_version')
        batch.create_index('ix_users_spending_key', ['spending_key'])

    op.create_table(
        'spending_months',
        sa.Column('account_key', sa.String(64), nullable=False),
        sa.Column('month', sa.String(7), nullable=False),
        sa.Column('spent_usd', sa.Float(), nullable=False, server_default='0'),
        sa.Column('held_usd', sa.Float(), nullable=False, server_default='0'),
        sa.PrimaryKeyConstraint('account_key', 'month'),
    )
    op.create_table(
        'spending_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_key', sa.String(64), nullable=False),
        sa.Column('month', sa.String(7), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('cost_usd', sa.Float(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_spending_entries_account_month', 'spending_entries', ['account_key', 'month'])
    op.create_table(
        'spending_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_key', sa.String(64), nullable=False),
        sa.Column('month', sa.String(7), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('amount_usd', sa.Float(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_spending_holds_open', 'spending_holds', ['settled_at', 'created_at'])

    # what the stored usage says was spent, per account, month and kind
    spent: dict[tuple[str, str, str], float] = defaultdict(float)
    for user_id, created, usage in bind.execute(
        sa.text('SELECT user_id, created_at, extract_usage FROM runs')
    ):
        spent[(keys[user_id], _month(created), 'extraction')] += _cost(usage)
    for user_id, created, usage in bind.execute(
        sa.text(
            'SELECT runs.user_id, iterations.created_at, iterations.usage '
            'FROM iterations JOIN runs ON iterations.run_id = runs.id'
        )
    ):
        spent[(keys[user_id], _month(created), 'iteration')] += _cost(usage)
    for user_id, decided, effect in bind.execute(
        sa.text(
            'SELECT runs.user_id, gates.decided_at, gates.note_effect '
            'FROM gates JOIN runs ON gates.run_id = runs.id WHERE gates.note_effect IS NOT NULL'
        )
    ):
        if isinstance(effect, str):
            import json

            effect = json.loads(effect)
        spent[(keys[user_id], _month(decided), 'gate note')] += _cost((effect or {}).get('usage'))
    entries = sa.table(
        'spending_entries', sa.column('account_key'), sa.column('month'), sa.column('kind'),
        sa.column('cost_usd'), sa.column('created_at', sa.DateTime(timezone=True)),
    )
    months = sa.table(
        'spending_months', sa.column('account_key'), sa.column('month'), sa.column('spent_usd'),
        sa.column('held_usd'),
    )
    totals: dict[tuple[str, str], float] = defaultdict(float)
    now = datetime.now(UTC)
    for (key, month, kind), cost in spent.items():
        if cost > 0:
            bind.execute(entries.insert().values(
                account_key=key, month=month, kind=kind, cost_usd=round(cost, 6), created_at=now
            ))
            totals[(key, month)] += cost
    for (key, month), cost in totals.items():
        bind.execute(months.insert().values(
            account_key=key, month=month, spent_usd=round(cost, 6), held_usd=0.0
        ))


def downgrade() -> None:
    op.drop_index('ix_spending_holds_open', table_name='spending_holds')
    op.drop_table('spending_holds')
    op.drop_index('ix_spending_entries_account_month', table_name='spending_entries')
    op.drop_table('spending_entries')
    op.drop_table('spending_months')
    with op.batch_alter_table('users') as batch:
        batch.drop_index('ix_users_spending_key')
        batch.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
        batch.drop_column('spending_key')
        batch.drop_column('session_token')
