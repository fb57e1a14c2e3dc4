"""Shared fixtures: a real Redis, a real database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
and the app built through its factory."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import redis
from rq import SimpleWorker
from sqlalchemy import text

from jobs.embedded_redis import EmbeddedRedis
from jobs.queue import queue
from store.db import get_database, normalise_url
from store.migrate import upgrade
from store.models import Base

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
def env(monkeypatch, database_url, redis_url, redis_conn, tmp_path):
    """Environment shared by the web app and the jobs, exactly as `make run` sets it."""
    import jobs.tasks

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("TASTELOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TASTELOOP_ENGINE", "offline")
    monkeypatch.delenv("TASTELOOP_ADMIN_EMAILS", raising=False)
    jobs.tasks.engine.cache_clear()
    yield
    jobs.tasks.engine.cache_clear()


@pytest.fixture
def app(env, database_url, tmp_path):
    from webapp import create_app

    return create_app(
        {
            "DATA_DIR": tmp_path / "data",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
        }
    )


def work(redis_conn) -> int:
    """Run every queued job in this process (RQ SimpleWorker, burst mode).

    Returns how many jobs were waiting when it started (jobs those jobs enqueue run too)."""
    q = queue(redis_conn)
    before = q.count
    worker = SimpleWorker([q], connection=redis_conn)
    worker.work(burst=True)
    return before


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A Flask test client that behaves like a person's browser: it sends the page's CSRF token."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = ""

    def get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        if response.mimetype == "text/html":
            match = CSRF.search(response.get_data(as_text=True))
            if match:
                self.token = match.group(1)
        return response

    def post(self, url: str, data=None, *, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            if not self.token:
                self.get("/login")
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kwargs)

    def register(self, email: str, password: str = "correct horse battery"):
        self.get("/register")
        return self.post("/register", {"email": email, "password": password})

    def login(self, email: str, password: str = "correct horse battery"):
        self.get("/login")
        return self.post("/login", {"email": email, "password": password})

    def logout(self):
        self.get("/history")
        return self.post("/logout")


def register_admin(app, browser: Browser, email: str) -> None:
    """An admin the way an operator makes one: register, then `flask --app webapp promote`."""
    assert browser.register(email).status_code == 302
    result = app.test_cli_runner().invoke(args=["promote", email])
    assert result.exit_code == 0, result.output


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def other_browser(app):
    return Browser(app.test_client())


REFSETS = Path(__file__).resolve().parent.parent.parent / "shared" / "refsets"
