"""Shared fixtures: a real Redis, a real database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
and the app built through its factory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from jobs.embedded_redis import EmbeddedRedis
from store.db import get_database, normalise_url
from store.migrate import upgrade
from store.models import Base
from tests.support.engines import quick_engine
from tests.support.web import Browser

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    external = os.environ.get("REDIS_URL", "").strip()
    if external:
        yield external
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False).start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_conn(redis_url):
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        url = normalise_url(TEST_DATABASE_URL)
        engine = get_database(url).engine
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(url)
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(migrated_template, tmp_path) -> str:
    if TEST_DATABASE_URL:
        engine = get_database(migrated_template).engine
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return migrated_template
    path = tmp_path / "tasteloop.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def env(request, monkeypatch, database_url, redis_url, redis_conn, tmp_path):
    """Environment shared by the web app and the jobs, exactly as `make run` sets it.

    The jobs run the quick engine (tests/support/engines.py) unless the test is marked
    `real_engine` or talks to the local wire gateway."""
    import jobs.tasks

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("TASTELOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TASTELOOP_ENGINE", "offline")
    monkeypatch.delenv("TASTELOOP_ADMIN_EMAILS", raising=False)
    jobs.tasks.engine.cache_clear()
    real = request.node.get_closest_marker("real_engine") or "gateway" in request.fixturenames
    if not real:
        quick = quick_engine()
        monkeypatch.setattr(jobs.tasks, "engine", _Injected(quick))
    yield
    jobs.tasks.engine.cache_clear()


class _Injected:
    """Stands in for `jobs.tasks.engine` (an lru_cache'd function) with a given engine."""

    def __init__(self, engine):
        self.engine = engine

    def __call__(self):
        return self.engine

    def cache_clear(self):
        pass


@pytest.fixture
def app(env, database_url, tmp_path):
    from webapp import create_app

    return create_app(
        {
            "DATA_DIR": tmp_path / "data",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            # hashing is tested; its cost (0.1 s a password with scrypt) is not what is
            "PASSWORD_METHOD": "pbkdf2:sha256:1000",
        }
    )


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def other_browser(app):
    return Browser(app.test_client())


REFSETS = Path(__file__).resolve().parent.parent.parent / "shared" / "refsets"


def pytest_collection_modifyitems(config, items):
    """The slowest tests (real processes, the browser) first, so that parallel workers are not
    left waiting on one of them at the end."""
    slow = ("tests/processes/", "tests/browser/")
    items.sort(key=lambda item: not any(part in str(item.fspath) for part in slow))
