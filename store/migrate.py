"""Apply and check Alembic migrations programmatically (used by `make run`, the CLI and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migration_problem(url: str) -> str | None:
    """One sentence if the database cannot serve this code's schema, else None."""
    from store.db import make_engine

    engine = make_engine(url)
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:  # unreachable or unreadable: say so, do not raise
        return f"the database cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0]})"
    finally:
        engine.dispose()
    head = head_revision(url)
    if current == head:
        return None
    return (
        f"the database is at migration {current or 'none (empty)'} but this code needs {head}; "
        "run `flask --app webapp db upgrade` (or `make run`, which migrates) first"
    )
