"""The migrations: every id-keyed table never reuses an id, 0007 carries existing accounts,
runs and what they spent over (session secrets, the spending ledger), and 0017 gives every
existing run its own public id."""

from __future__ import annotations

import json
import sqlite3

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from store.migrate import alembic_config
from store.models import NEVER_REUSED, Base
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's own id reuse")

INTEGER_KEYED = sorted(
    t.name for t in Base.metadata.sorted_tables if [c.name for c in t.primary_key.columns] == ["id"]
)


def _old_run(conn, run_id: int, user_id: int, engine: str, usage: str) -> None:
    """A finished run with the columns every revision from 0006 on has."""
    conn.execute(
        text(
            "INSERT INTO runs (id, user_id, phase, intent, engine, models, max_iterations, "
            "threshold, gate_low, candidates, seed, next_index, current_prompt, status_note, "
            "error_retryable, extract_usage, created_at, updated_at) VALUES (:id, :user, 'done', "
            "'x', :engine, '{}', 5, 8, 6, 1, 0, 1, 'p', '', 0, :usage, :now, :now)"
        ),
        {
            "id": run_id,
            "user": user_id,
            "engine": engine,
            "usage": usage,
            "now": "2026-12-02 10:00:00",
        },
    )


def test_every_table_with_an_integer_key_is_autoincrement(tmp_path):
    path = tmp_path / "head.db"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "head")
    schema = dict(sqlite3.connect(path).execute("SELECT name, sql FROM sqlite_master"))
    assert INTEGER_KEYED and all("AUTOINCREMENT" in schema[name] for name in INTEGER_KEYED)
    for table in Base.metadata.sorted_tables:
        if table.name in INTEGER_KEYED:
            assert (
                table.dialect_kwargs.get("sqlite_autoincrement")
                == NEVER_REUSED["sqlite_autoincrement"]
            ), table.name


def test_0007_keeps_ids_and_moves_spending_into_the_ledger(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0006")
    engine = create_engine(url)
    usage = json.dumps(
        [{"role": "generate", "cost_usd": 0.04}, {"role": "critique", "cost_usd": 0.01}]
    )
    with engine.begin() as conn:
        for user_id in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, is_admin, session_version, "
                    "disabled, created_at) VALUES (:id, :email, 'x', 0, 4, 0, '2026-12-01')"
                ),
                {"id": user_id, "email": f"u{user_id}@example.com"},
            )
        _old_run(conn, 7, 2, "gateway", json.dumps([{"cost_usd": 0.02}]))
        conn.execute(
            text(
                "INSERT INTO blobs (sha256, mime_type, size, width, height, data, created_at) "
                "VALUES ('a', 'image/png', 1, 1, 1, x'00', '2026-12-02')"
            )
        )
        conn.execute(
            text(
                'INSERT INTO iterations (id, run_id, "index", prompt, image_sha, score, '
                "breakdown, reasoning, revised_prompt, candidates, chosen_candidate, "
                "generate_seconds, critique_seconds, usage, created_at) VALUES (1, 7, 0, 'p', 'a', "
                "5, '[]', 'r', 'p', '[]', 0, 0, 0, :usage, '2026-12-02 10:01:00')"
            ),
            {"usage": usage},
        )
    command.upgrade(alembic_config(url), "head")
    with engine.begin() as conn:
        users = conn.execute(text("SELECT id, session_token, spending_key FROM users")).all()
        assert [u.id for u in users] == [1, 2, 3]
        assert len({u.session_token for u in users}) == 3 and all(
            len(u.session_token) == 64 for u in users
        )
        key = next(u.spending_key for u in users if u.id == 2)
        months = conn.execute(
            text("SELECT account_key, month, spent_usd FROM spending_months")
        ).all()
        assert [(m.account_key, m.month) for m in months] == [(key, "2026-12")]
        assert months[0].spent_usd == pytest.approx(0.07)
        kinds = dict(conn.execute(text("SELECT kind, cost_usd FROM spending_entries")).all())
        assert kinds == pytest.approx({"extraction": 0.02, "iteration": 0.05})
        conn.execute(text("DELETE FROM users WHERE id = 3"))  # the highest id, deleted
        conn.execute(
            text(
                "INSERT INTO users (email, password_hash, is_admin, disabled, created_at, "
                "session_token, spending_key) VALUES ('new@example.com', 'x', 0, 0, '2026-12-02', "
                "'t', 'k')"
            )
        )
        new_id = conn.execute(text("SELECT id FROM users WHERE email = 'new@example.com'")).scalar()
    assert new_id == 4  # not 3: the deleted account's id stays used
    assert "session_version" not in {c["name"] for c in inspect(engine).get_columns("users")}


def test_0017_gives_every_existing_run_its_own_public_id(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0016")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, password_hash, is_admin, disabled, created_at, "
                "session_token, spending_key) VALUES (1, 'a@example.com', 'x', 0, 0, "
                "'2026-12-01', 't', 'k')"
            )
        )
        for run_id in (3, 4, 9):
            _old_run(conn, run_id, 1, "offline", "[]")
    command.upgrade(alembic_config(url), "head")
    with engine.begin() as conn:
        rows = dict(conn.execute(text("SELECT id, public_id FROM runs")).all())
        assert sorted(rows) == [3, 4, 9]
        assert len(set(rows.values())) == 3
        assert all(len(p) >= 11 and not p.isdigit() for p in rows.values())
        with pytest.raises(Exception, match="UNIQUE|NOT NULL"):
            conn.execute(text("UPDATE runs SET public_id = NULL WHERE id = 3"))
    command.downgrade(alembic_config(url), "0016")
    assert "public_id" not in {c["name"] for c in inspect(engine).get_columns("runs")}
