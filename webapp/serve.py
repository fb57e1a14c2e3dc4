"""`python -m webapp.serve` (what `make run` runs): everything needed to use tasteloop locally.

Checks the configuration, applies migrations to the database (SQLite in ./data by default),
starts Redis (REDIS_URL, or an embedded one), one RQ worker and the web server, prints the URL
and the engine, and stops all of them on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from alembic.util import CommandError as AlembicError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.serving import WSGIRequestHandler, make_server

from jobs.embedded_redis import EmbeddedRedis, RedisUnavailable
from store.db import database_url, default_data_dir, make_engine
from store.migrate import migration_problem, upgrade
from store.spending import Limits, LimitSettingError
from tasteloop.config import ConfigError, EngineSettings, load_env
from webapp import create_app

STOP_GRACE_SECONDS = 10.0  # how long the worker may finish its step when tasteloop stops


class RequestHandler(WSGIRequestHandler):
    def version_string(self) -> str:
        return "tasteloop"  # not the Werkzeug and Python versions an attacker would look up


class StartupError(RuntimeError):
    """Why the app cannot start, in one sentence."""


def check_data_dir(data_dir: Path) -> None:
    """Writable, and private: the database, the secret key and Redis's password live there."""
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)
        with tempfile.NamedTemporaryFile(dir=data_dir):
            pass
    except OSError as exc:
        raise StartupError(
            f"the data directory {data_dir} is not writable ({exc.strerror}); "
            "set TASTELOOP_DATA_DIR to a folder you can write"
        ) from None


def check_engine() -> EngineSettings:
    try:
        Limits.from_env()
        return EngineSettings.from_env()
    except (ConfigError, LimitSettingError) as exc:
        raise StartupError(str(exc)) from None


def migrate(url: str) -> None:
    """Bring the database to the code's schema; with TASTELOOP_MIGRATE=0 only check that it is."""
    if os.environ.get("TASTELOOP_MIGRATE", "1").strip() == "0":
        problem = migration_problem(url)
        if problem:
            raise StartupError(problem)
        return
    try:
        upgrade(url)
    except (SQLAlchemyError, AlembicError, OSError) as exc:  # the database cannot be prepared
        raise StartupError(f"could not prepare the database at {_redact(url)} ({exc})") from None


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url


def check_external_redis() -> str | None:
    url = os.environ.get("REDIS_URL", "").strip()
    if url:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            raise StartupError(f"Redis at REDIS_URL={url} is unreachable ({exc})") from None
    return url or None


def start_redis(data_dir: Path) -> tuple[str, EmbeddedRedis | None]:
    url = check_external_redis()
    if url:
        return url, None
    try:
        embedded = EmbeddedRedis(data_dir / "redis").start()
    except RedisUnavailable as exc:
        raise StartupError(str(exc)) from None
    return embedded.url, embedded


def main() -> int:
    load_env()
    os.umask(0o077)  # the database, Redis's files and the worker's files: owner only
    data_dir = default_data_dir()
    embedded: EmbeddedRedis | None = None
    worker: subprocess.Popen[bytes] | None = None
    try:
        check_data_dir(data_dir)
        settings = check_engine()
        check_external_redis()  # before touching the database: nothing half-initialised
        url = database_url(data_dir)
        migrate(url)
        make_engine(url).dispose()
        redis_url, embedded = start_redis(data_dir)
        env = dict(os.environ, REDIS_URL=redis_url, TASTELOOP_DATA_DIR=str(data_dir))
        os.environ.update(REDIS_URL=redis_url, TASTELOOP_DATA_DIR=str(data_dir))
        # Its own session, like the embedded Redis: a terminal's Ctrl-C reaches only this
        # process, which stops the worker (one warm shutdown) and then Redis, in that order.
        worker = subprocess.Popen(
            [sys.executable, "-m", "jobs.worker"], env=env, start_new_session=True
        )
        port = int(os.environ.get("PORT", "5000"))
        host = os.environ.get("HOST", "127.0.0.1")

        server = make_server(
            host, port, create_app(), threaded=True, request_handler=RequestHandler
        )
    except StartupError as exc:
        print(f"tasteloop cannot start: {exc}", file=sys.stderr)
        _stop(worker, embedded)
        return 1
    except OSError as exc:
        print(
            f"tasteloop cannot start: the web server could not listen ({exc.strerror})",
            file=sys.stderr,
        )
        _stop(worker, embedded)
        return 1

    def _terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)  # the terminal closed: the children would not hear it
    engine_note = (
        f"gateway {settings.base_url} (image {settings.image_model}, vision {settings.vision_model})"
        if settings.engine == "gateway"
        else "offline (no API key set: measured extractor, layout-and-paint generator, measured critic)"
    )
    print(
        f"\n  tasteloop is running at http://{host}:{port}\n  engine: {engine_note}\n"
        f"  data: {data_dir}\n  press Ctrl-C to stop\n",
        flush=True,
    )
    try:
        server.serve_forever()  # Werkzeug's returns quietly on KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C or SIGTERM (impatient, or a supervisor repeating itself) must not cut
        # the clean-up short and leave the worker or Redis behind.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        print(
            f"\nstopping tasteloop… (the worker may finish its step: {STOP_GRACE_SECONDS:g} s at most)",
            flush=True,
        )
        server.server_close()
        _stop(worker, embedded)
        print("tasteloop stopped", flush=True)
    return 0


def _stop(worker: subprocess.Popen[bytes] | None, embedded: EmbeddedRedis | None) -> None:
    if worker:
        stop_worker(worker, STOP_GRACE_SECONDS)
    if embedded:
        embedded.stop()


def stop_worker(worker: subprocess.Popen[bytes], grace: float) -> None:
    """A warm shutdown (the step in hand may finish) for up to `grace` seconds, then SIGKILL to
    the worker's whole process group: its work-horse is forked into that group, and nothing of
    it may go on writing after "tasteloop stopped". A killed step resumes at the next start
    (the run's lease expires and the sweeper requeues it)."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)  # RQ's warm shutdown
        try:
            worker.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(worker.pid, signal.SIGKILL)  # before reaping, so the group id is still ours
    except ProcessLookupError:
        pass
    worker.wait()
    _wait_for_group_to_die(worker.pid)


def _wait_for_group_to_die(pgid: int, timeout: float = 5.0) -> None:
    """SIGKILL is not instant; wait until no live (non-zombie) process is left in the group."""
    proc = Path("/proc")
    if not proc.exists():
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = False
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # fields after the ")" closing the command name: state, ppid, pgrp, ...
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive = True
                break
        if not alive:
            return
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
