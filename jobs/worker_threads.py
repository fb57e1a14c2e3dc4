"""Several RQ workers in one process, one per thread: a run's turn is mostly waiting on a model
provider, so a thread (a few MB) is the unit of capacity rather than a process (~100 MB).

Each thread runs a `ThreadWorker`, an RQ `SimpleWorker` that installs no signal handlers (only
the main thread may) and times jobs out with a timer instead of SIGALRM. The main thread owns
the signals: the first SIGTERM/SIGINT asks every worker to stop taking jobs and waits for the
turns in flight to finish; a second one stops at once (leases bring the runs back).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType

import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.timeouts import TimerDeathPenalty

log = logging.getLogger(__name__)
DEFAULT_THREADS = 10


def worker_threads_setting() -> int:
    """TASTELOOP_WORKER_THREADS: how many runs one worker process advances at once."""
    raw = os.environ.get("TASTELOOP_WORKER_THREADS", "").strip()
    try:
        count = int(raw) if raw else DEFAULT_THREADS
    except ValueError:
        raise ValueError(f"TASTELOOP_WORKER_THREADS must be a whole number, not {raw!r}") from None
    if not 1 <= count <= 256:
        raise ValueError(f"TASTELOOP_WORKER_THREADS must be between 1 and 256, not {count}")
    return count


class InFlight:
    """How many jobs the process's threads are running right now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self, delta: int) -> None:
        with self._lock:
            self.count += delta


class ThreadWorker(SimpleWorker):
    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args: object, in_flight: InFlight, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._in_flight = in_flight

    def _install_signal_handlers(self) -> None:
        """The main thread handles signals for every worker in the process."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        self._in_flight.add(1)
        try:
            super().execute_job(job, queue)
        finally:
            self._in_flight.add(-1)


class WorkerThreads:
    def __init__(self, queue: Queue, connection: redis.Redis, count: int) -> None:
        if count < 1:
            raise ValueError("a worker needs at least one thread")
        self._in_flight = InFlight()
        self.workers = [
            ThreadWorker([queue], connection=connection, in_flight=self._in_flight)
            for _ in range(count)
        ]
        self._stop = threading.Event()
        self._force = False

    @property
    def in_flight(self) -> int:
        return self._in_flight.count

    def _request_stop(self, signum: int, _frame: FrameType | None) -> None:
        if self._stop.is_set():
            self._force = True
            return
        log.info("stopping: no new turns; waiting for %d in flight", self.in_flight)
        self._stop.set()
        for worker in self.workers:
            worker._stop_requested = True  # RQ's own warm-stop flag

    def run(self, *, burst: bool = False, with_scheduler: bool = True) -> None:
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        threads = [
            threading.Thread(
                target=worker.work,
                kwargs={"burst": burst, "with_scheduler": with_scheduler and k == 0},
                name=f"rq-worker-{k}",
                daemon=True,
            )
            for k, worker in enumerate(self.workers)
        ]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            if self._force or (self._stop.is_set() and self.in_flight == 0):
                break
            time.sleep(0.2)
        # Threads still blocked waiting for a job die with the process; say so to Redis. The
        # scheduler runs in a child process that only its worker's own teardown stops, and the
        # process's exit waits for it: stop it here, or the exit waits out the stop's grace.
        for worker, thread in zip(self.workers, threads, strict=True):
            if thread.is_alive():
                try:
                    if worker.scheduler is not None:
                        worker.stop_scheduler()
                    worker.register_death()
                except redis.RedisError:
                    pass
