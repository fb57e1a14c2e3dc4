"""Bad configuration: `make run` (webapp.serve) and the worker say what is wrong in one sentence,
exit non-zero, and leave nothing half-initialised."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from alembic import command

from jobs.heartbeat import workers_alive
from store.migrate import alembic_config, head_revision
from tests.support.serve_process import free_port, wait_until_serving
from webapp.serve import stop_worker

ROOT = Path(__file__).resolve().parent.parent


def clean_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "BASE_URL", "API_KEY", "TASTELOOP_ENGINE"}
    }
    env.update(TASTELOOP_DATA_DIR=str(tmp_path / "data"), PORT=str(free_port()))
    env.update(overrides)
    return env


def start(module: str, env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    # cwd is a scratch folder so no developer .env is picked up
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_gateway_engine_without_key(tmp_path):
    env = clean_env(tmp_path, TASTELOOP_ENGINE="gateway", BASE_URL="http://127.0.0.1:9/v1")
    result = start("webapp.serve", env, tmp_path)
    assert result.returncode == 1
    line = one_sentence(result.stderr)
    assert line.startswith("tasteloop cannot start:") and "API_KEY" in line
    assert not (tmp_path / "data" / "tasteloop.db").exists()


def test_unreachable_redis(tmp_path):
    env = clean_env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    result = start("webapp.serve", env, tmp_path)
    assert result.returncode == 1
    line = one_sentence(result.stderr)
    assert "unreachable" in line and "REDIS_URL" in line
    assert not (tmp_path / "data" / "tasteloop.db").exists()  # checked before any migration


def test_unwritable_data_directory(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = clean_env(tmp_path, TASTELOOP_DATA_DIR=str(blocker / "data"))
    result = start("webapp.serve", env, tmp_path)
    assert result.returncode == 1
    line = one_sentence(result.stderr)
    assert "data directory" in line and "not writable" in line and "TASTELOOP_DATA_DIR" in line


@pytest.fixture
def behind_database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    return url


def test_serve_refuses_a_database_behind_migrations_when_not_migrating(tmp_path, behind_database):
    env = clean_env(tmp_path, DATABASE_URL=behind_database, TASTELOOP_MIGRATE="0")
    result = start("webapp.serve", env, tmp_path)
    assert result.returncode == 1
    line = one_sentence(result.stderr)
    assert f"needs {head_revision(behind_database)}" in line and "at migration 0001" in line


def test_worker_refuses_a_database_behind_migrations(tmp_path, behind_database, redis_url):
    env = clean_env(tmp_path, DATABASE_URL=behind_database, REDIS_URL=redis_url)
    result = start("jobs.worker", env, tmp_path, "--burst")
    assert result.returncode == 1
    line = one_sentence(result.stderr)
    assert line.startswith("tasteloop worker cannot start:") and "at migration 0001" in line


def test_worker_refuses_gateway_without_key_and_missing_redis(tmp_path, redis_url):
    env = clean_env(
        tmp_path, TASTELOOP_ENGINE="gateway", BASE_URL="http://127.0.0.1:9/v1", REDIS_URL=redis_url
    )
    result = start("jobs.worker", env, tmp_path, "--burst")
    assert result.returncode == 1 and "API_KEY" in one_sentence(result.stderr)

    env = clean_env(tmp_path)  # no REDIS_URL at all
    result = start("jobs.worker", env, tmp_path, "--burst")
    assert result.returncode == 2 and "REDIS_URL" in one_sentence(result.stderr)


def test_migration_problem_clears_after_upgrade(behind_database):
    from store.migrate import migration_problem, upgrade

    assert migration_problem(behind_database) is not None
    upgrade(behind_database)
    assert migration_problem(behind_database) is None


def _processes_mentioning(text: str) -> list[int]:
    """Processes whose command line or environment names `text` (Redis: --dir; worker: env)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                seen = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
            except OSError:
                continue
            if text.encode() in seen:
                found.append(int(entry.name))
    return found


def serving(tmp_path: Path) -> subprocess.Popen[str]:
    """`python -m webapp.serve` (what `make run` runs), answering, in a process group of its own
    that stands in for the terminal's."""
    env = {**clean_env(tmp_path), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp.serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{env['PORT']}/login"
    wait_until_serving(process, url, lambda: process.communicate()[0])
    process.url = url  # type: ignore[attr-defined]
    return process


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    ("signals", "listening"),
    [
        ((signal.SIGINT,), True),  # the worker has connected to Redis and is listening
        ((signal.SIGTERM, signal.SIGTERM), True),
        ((signal.SIGINT,), False),  # the worker is still importing and connecting
    ],
)
def test_ctrl_c_stops_everything_quietly(tmp_path, signals, listening):
    """A terminal's Ctrl-C signals the whole foreground process group at once: the web server,
    the worker and the embedded Redis. The worker must get one warm shutdown (not two, which RQ
    takes as a cold one) and Redis must outlive it, so nothing prints a traceback, whether the
    worker is already listening or still starting. A second signal while stopping must not cut
    the clean-up short."""
    process = serving(tmp_path)
    try:
        if listening:
            wait_for_the_worker(tmp_path / "data")
        for signum in signals:
            os.killpg(process.pid, signum)
            time.sleep(0.2)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, output
    assert "stopping tasteloop" in output and "tasteloop stopped" in output
    assert "Traceback" not in output and "Cold shut down" not in output, output
    assert _processes_mentioning(str(tmp_path / "data")) == []  # no Redis or worker left behind


def test_data_is_private_and_the_embedded_redis_needs_its_password(tmp_path):
    """Any local process could otherwise enqueue a job (code run as the app) or read the
    database and the secret key."""
    import redis as redis_client
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    process = serving(tmp_path)
    data = tmp_path / "data"
    try:
        wait_for_the_worker(data)
        assert data.stat().st_mode & 0o777 == 0o700
        for name in ("tasteloop.db", "secret_key", "redis/password", "redis/redis.conf"):
            assert (data / name).stat().st_mode & 0o077 == 0, name
        cmdline = _redis_cmdline(data)
        port = int(re.search(r"127\.0\.0\.1:(\d+)", cmdline).group(1))
        # no retries: a refused AUTH is a ConnectionError, which the client retries by default
        anonymous = redis_client.Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0))
        with pytest.raises(redis_client.AuthenticationError):
            anonymous.ping()
        password = (data / "redis" / "password").read_text().strip()
        assert redis_client.Redis(host="127.0.0.1", port=port, password=password).ping()
        assert password not in cmdline  # not visible to `ps`
        with urllib.request.urlopen(process.url) as response:
            assert response.headers["Server"] == "tasteloop"  # no Werkzeug or Python version
        beating = redis_client.Redis(host="127.0.0.1", port=port, password=password)
        assert workers_alive(beating) == 1  # the worker `make run` started says it is alive
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=30)


def wait_for_the_worker(data: Path, timeout: float = 30.0) -> None:
    """Until the worker `make run` started beats in the embedded Redis (it is listening)."""
    import redis as redis_client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            port = int(re.search(r"127\.0\.0\.1:(\d+)", _redis_cmdline(data)).group(1))
            password = (data / "redis" / "password").read_text().strip()
            beating = redis_client.Redis(host="127.0.0.1", port=port, password=password)
            if workers_alive(beating):
                return
        except (AssertionError, OSError, AttributeError, redis_client.RedisError):
            pass  # Redis or the worker is still starting
        time.sleep(0.1)
    raise AssertionError("the worker never said it was alive")


def _redis_cmdline(data: Path) -> str:
    """What `ps` shows for the redis-server working in this data dir (Redis sets its title)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            if "redis-server" in args and cwd == str(data / "redis"):
                return args
    raise AssertionError("no embedded redis-server found")


FAKE_WORKER = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # a worker busy with a long step
if os.fork() == 0:  # its work-horse, which goes on writing until it is killed
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        with open(sys.argv[1], "a") as out:
            out.write("x")
        time.sleep(0.02)
time.sleep(600)
"""


def test_stopping_kills_the_work_horse_before_saying_stopped(tmp_path):
    written = tmp_path / "horse.txt"
    worker = subprocess.Popen(
        [sys.executable, "-c", FAKE_WORKER, str(written)], start_new_session=True
    )
    deadline = time.monotonic() + 10
    while not written.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert written.exists()
    stop_worker(worker, grace=0.5)
    size = written.stat().st_size
    time.sleep(0.5)
    assert written.stat().st_size == size  # nothing writes after the stop returned
    assert worker.returncode is not None
