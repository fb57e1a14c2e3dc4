"""A real tasteloop back end for fault-injection and load scripts: database, Redis, the local
OpenAI-wire gateway and real worker processes (`python -m jobs.worker`).

Used by the `bench/` scripts and, with fewer trials, by the tests that prove the same guarantees.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from jobs.embedded_redis import EmbeddedRedis
from jobs.queue import enqueue_for
from store.db import get_database
from store.migrate import upgrade
from store.models import Gate, Iteration, Phase, Run, User
from store.runs import confirm_run, iteration_merit, record_extraction
from store.uploads import create_run
from tasteloop.domain.profile import TasteProfile
from tasteloop.domain.run_settings import LoopSettings
from tasteloop.offline.engine import offline_engine
from tasteloop.offline.generator import OfflineGenerator
from tests.support.gateway_server import FAULTS, FakeGateway
from tests.support.refsets import ROOT

SET_NAME = "van-gogh-swirling-landscapes"
STAND_IN_REFERENCES = ("a harbour at dusk", "a field under a wide sky", "a city street at night")


def _painted_reference(text: str) -> bytes:
    return OfflineGenerator(size=512).generate(text).data


@dataclass
class Stack:
    database_url: str
    redis_url: str
    gateway: FakeGateway
    worker_env: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _profile: TasteProfile | None = None
    _references: list[bytes] | None = None

    # runs ---------------------------------------------------------------------------------
    def references(self) -> list[bytes]:
        """Three of a shared set's images; without ../shared (a bare clone), three painted ones:
        what is measured here is orchestration, not taste."""
        if self._references is None:
            from tests.support.refsets import read_set, refsets_dir

            folder = refsets_dir() / SET_NAME
            if folder.is_dir():
                self._references = read_set(folder)[:3]
            else:
                self._references = [_painted_reference(text) for text in STAND_IN_REFERENCES]
        return self._references

    def profile(self) -> TasteProfile:
        if self._profile is None:
            self._profile = offline_engine().extractor.extract(self.references()).profile
        return self._profile

    def create_runs(
        self, count: int, settings: LoopSettings, intent: str = "a harbour at dusk"
    ) -> list[int]:
        """Runs confirmed and queued for generation, as if a user had clicked through."""
        db = get_database(self.database_url)
        ids = []
        with db.session() as session:
            user = session.scalar(select(User).where(User.email == "bench@example.com"))
            if user is None:
                user = User(email="bench@example.com", password_hash="x")
                session.add(user)
                session.flush()
            for _ in range(count):
                files = [(f"ref{i}.jpg", data) for i, data in enumerate(self.references())]
                run = create_run(session, user, files, "gateway", {})
                session.flush()
                session.refresh(run)
                record_extraction(session, run, self.profile(), ())
                session.flush()
                session.refresh(run)
                confirm_run(session, run, self.profile(), intent, settings)
                session.flush()
                ids.append(run.id)
        return ids

    def enqueue(self, run_ids: list[int], copies: int = 1) -> None:
        import redis

        conn = redis.Redis.from_url(self.redis_url)
        for _ in range(copies):
            for run_id in run_ids:
                enqueue_for(run_id, Phase.GENERATING, conn)

    # workers ------------------------------------------------------------------------------
    def start_worker(self, burst: bool = False) -> subprocess.Popen[bytes]:
        args = ["--sweep-interval", "0.5", *(["--burst"] if burst else [])]
        worker = spawn_worker(self.worker_env, *args)
        self.workers.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen[bytes]) -> list[int]:
        """SIGKILL the worker process (its job threads die with it) and any child it forked."""
        victims = [*descendants(worker.pid), worker.pid]
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.wait()
        return victims

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                self.kill(worker)
        self.workers.clear()

    # state --------------------------------------------------------------------------------
    def phases(self, run_ids: list[int]) -> dict[int, str]:
        with get_database(self.database_url).session() as session:
            rows = session.execute(select(Run.id, Run.phase).where(Run.id.in_(run_ids)))
            return dict(rows.all())

    def wait_until_idle(self, run_ids: list[int], timeout: float) -> bool:
        """Until none of these runs has a turn queued or running (the workers have finished the
        turns they took)."""
        import redis
        from rq.registry import StartedJobRegistry

        from jobs.queue import queue

        q = queue(redis.Redis.from_url(self.redis_url))
        prefixes = tuple(f"run{run_id}-" for run_id in run_ids)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = [*q.get_job_ids(), *StartedJobRegistry(queue=q).get_job_ids()]
            if not any(str(job).startswith(prefixes) for job in jobs):
                return True
            time.sleep(0.05)
        return False

    def wait_until_settled(self, run_ids: list[int], timeout: float) -> bool:
        settled = (Phase.DONE, Phase.GATED, Phase.FAILED)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(p in settled for p in self.phases(run_ids).values()):
                return True
            time.sleep(0.2)
        return False

    def audit(self, run_ids: list[int]) -> list[dict]:
        """One row per run: how it ended, and every inconsistency found in the database."""
        rows = []
        with get_database(self.database_url).session() as session:
            for run_id in run_ids:
                run = session.get(Run, run_id)
                assert run is not None
                iterations = list(
                    session.scalars(
                        select(Iteration)
                        .where(Iteration.run_id == run_id)
                        .order_by(Iteration.index)
                    )
                )
                gates = list(session.scalars(select(Gate).where(Gate.run_id == run_id)))
                rows.append(
                    {
                        "run": run_id,
                        "phase": run.phase,
                        "outcome": run.outcome,
                        "iterations": len(iterations),
                        "critic_failures": sum(1 for it in iterations if it.critic_error),
                        "error": run.error,
                        "retryable": run.error_retryable,
                        "problems": consistency_problems(run, iterations, gates),
                    }
                )
        return rows


def spawn_worker(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """`python -m jobs.worker` in its own session (so it and its children can be killed)."""
    return subprocess.Popen(
        [sys.executable, "-m", "jobs.worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def descendants(pid: int) -> list[int]:
    """Child processes, recursively, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack_ = [], [pid]
    while stack_:
        for child in children.get(stack_.pop(), []):
            found.append(child)
            stack_.append(child)
    return found


def consistency_problems(run: Run, iterations: list[Iteration], gates: list[Gate]) -> list[str]:
    problems = []
    indexes = [it.index for it in iterations]
    if indexes != list(range(len(indexes))):
        problems.append(f"iteration indexes {indexes} are not 0..n-1 (lost or duplicated)")
    if run.next_index != len(iterations):
        problems.append(f"next_index {run.next_index} but {len(iterations)} iterations")
    if len(iterations) > run.max_iterations:
        problems.append(f"{len(iterations)} iterations over the cap of {run.max_iterations}")
    ids = {it.id for it in iterations}
    open_gates = [g for g in gates if g.decision is None]
    if run.phase == Phase.GATED:
        if (
            len(open_gates) != 1
            or not iterations
            or open_gates[0].iteration_id != iterations[-1].id
        ):
            problems.append("gated without exactly one open gate on the last iteration")
    elif open_gates:
        problems.append(f"{len(open_gates)} open gates while {run.phase}")
    stopped_before_any = run.outcome == "stopped" and not iterations
    if run.phase == Phase.DONE and not stopped_before_any:
        if run.final_iteration_id not in ids:
            problems.append("done without a final iteration of its own")
        if run.outcome == "converged" and iterations[-1].score < run.threshold:
            problems.append("converged below the threshold")
    if run.phase == Phase.FAILED and not (run.error or "").strip():
        problems.append("failed without a reason")
    if run.phase.working:
        problems.append(f"still {run.phase}")
    if run.best_iteration_id is not None and run.best_iteration_id not in ids:
        problems.append("best iteration belongs to another run")
    # a pairwise verdict (agreed or split) may keep or choose an image the scores would not
    judged_in_pairs = any(it.comparison and not it.comparison.get("error") for it in iterations)
    if iterations and run.best_iteration_id is not None and not judged_in_pairs:
        best = max(iterations, key=iteration_merit)
        chosen = next(it for it in iterations if it.id == run.best_iteration_id)
        if iteration_merit(chosen) < iteration_merit(best):
            problems.append("best iteration is not the best-ranked one")
    if run.lease_owner is not None and not run.phase.working:
        problems.append(f"lease still held while {run.phase}")
    return problems


@contextmanager
def stack(
    *,
    latency: dict[str, float] | None = None,
    fault_rate: float = 0.0,
    lease_seconds: float = 3.0,
    database_url: str | None = None,
    redis_url: str | None = None,
    seed: int = 0,
    random_faults: tuple[str, ...] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Everything real, on loopback; SQLite in a temp folder unless a database URL is given."""
    with tempfile.TemporaryDirectory(prefix="tasteloop-bench-") as tmp:
        folder = Path(tmp)
        url = database_url or f"sqlite:///{folder / 'bench.db'}"
        upgrade(url)
        embedded = None
        if not redis_url:
            embedded = EmbeddedRedis(folder / "redis", persist=False).start()
            redis_url = embedded.url
        gateway = FakeGateway(
            render_size=256,
            latency=dict(latency or {}),
            fault_rate=fault_rate,
            seed=seed,
            hang_seconds=4.0,
            random_faults=random_faults or FAULTS,
        ).start()
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "TASTELOOP_ENGINE": "gateway",
            "BASE_URL": gateway.base_url,
            "API_KEY": "bench-key",
            "TASTELOOP_TIMEOUT": "2",
            "TASTELOOP_MAX_RETRIES": "3",
            # the simulated provider's faults are retried without a real back-off: what is
            # checked is that runs end consistently, not how long a back-off takes
            "TASTELOOP_RETRY_DELAY": "0.05",
            "TASTELOOP_LEASE_SECONDS": str(lease_seconds),
            "TASTELOOP_DATA_DIR": str(folder),
            "PYTHONPATH": str(ROOT),
            **(extra_env or {}),
        }
        built = Stack(url, redis_url, gateway, env)
        try:
            yield built
        finally:
            built.stop_workers()
            gateway.stop()
            if embedded:
                embedded.stop()
