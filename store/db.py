"""Engine and sessions for SQLite (default, WAL) or PostgreSQL (DATABASE_URL, psycopg 3)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def default_data_dir() -> Path:
    return Path(os.environ.get("TASTELOOP_DATA_DIR") or Path.cwd() / "data")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the URL was written with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(data_dir: Path | None = None) -> str:
    configured = os.environ.get("DATABASE_URL", "").strip()
    if configured:
        return normalise_url(configured)
    folder = data_dir or default_data_dir()
    return f"sqlite:///{folder / 'tasteloop.db'}"


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # deleted rows are overwritten, not left in free pages (a deleted account's text)
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def forget_deleted(self) -> None:
        """After deleting a person's data: copy the write-ahead log into the database and empty
        it, so no copy of what was deleted lingers in it (SQLite; PostgreSQL's VACUUM is the
        operator's)."""
        if self.url.startswith("sqlite"):
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def dispose(self) -> None:
        self.engine.dispose()


_databases: dict[tuple[int, str], Database] = {}


def get_database(url: str | None = None) -> Database:
    """One Database (engine + pool) per URL per process: a forked RQ work-horse gets its own."""
    key = (os.getpid(), normalise_url(url or database_url()))
    if key not in _databases:
        _databases[key] = Database(key[1])
    return _databases[key]
