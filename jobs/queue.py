"""The RQ queue: job functions take ids only (DESIGN.md)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from functools import lru_cache

import redis
from rq import Queue, Retry

from store.states import Phase

QUEUE_NAME = "tasteloop"


class QueueUnavailable(RuntimeError):
    pass


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        raise QueueUnavailable(
            "REDIS_URL is not set: `make run` starts an embedded Redis, or point it at yours"
        )
    return url


@lru_cache(maxsize=8)
def _connection(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)


def connection() -> redis.Redis:
    return _connection(redis_url())


def queue(conn: redis.Redis | None = None) -> Queue:
    return Queue(QUEUE_NAME, connection=conn or connection())


# Which job moves a run on from each working phase; both read the run's saved state.
JOB_FOR_PHASE = {
    Phase.EXTRACTING: ("jobs.tasks.extract_profile", 900),
    Phase.GENERATING: ("jobs.tasks.advance_run", 3600),
}


def _job_prefix(run_id: int) -> str:
    return f"run{run_id}-"


def enqueue_for(run_id: int, phase: Phase, conn: redis.Redis | None = None) -> str:
    """Enqueue the job for a run's working phase (after the commit that put it there).

    The job id starts with the run's id, so the queue itself says where a run waits.
    """
    function, timeout = JOB_FOR_PHASE[Phase(phase)]
    job = queue(conn).enqueue(
        function,
        run_id,
        job_id=f"{_job_prefix(run_id)}{Phase(phase).value}-{uuid.uuid4().hex[:12]}",
        job_timeout=timeout,
        retry=Retry(max=2, interval=[5, 30]),
    )
    return job.id


def _queued(conn: redis.Redis | None) -> list[tuple[str, int | None]]:
    """The queue in order: each job id, with the run it is a turn of (None for other jobs)."""
    found = []
    for raw in queue(conn).get_job_ids():
        job_id = raw.decode() if isinstance(raw, bytes) else raw
        found.append((job_id, _run_of(job_id)))
    return found


@dataclass(frozen=True)
class Ahead:
    """What waits before a run's turn: other runs, and other jobs (library re-extractions)."""

    runs: int
    other: int


def runs_ahead(run_id: int, conn: redis.Redis | None = None) -> Ahead | None:
    """What waits before this run's turn; None when this run has no job waiting (a worker has
    it, or it is not working). One LRANGE: cheap for every poll."""
    runs: set[int] = set()
    other = 0
    for _job_id, queued_run in _queued(conn):
        if queued_run == run_id:
            return Ahead(len(runs), other)
        if queued_run is None:
            other += 1
        else:
            runs.add(queued_run)
    return None


def enqueue_reextract(library_profile_id: int, conn: redis.Redis | None = None) -> str:
    job = queue(conn).enqueue(
        "jobs.tasks.reextract_library_profile", library_profile_id, job_timeout=900
    )
    return job.id


def _run_of(job_id: str | bytes) -> int | None:
    text = job_id.decode() if isinstance(job_id, bytes) else job_id
    head = text.split("-", 1)[0]
    return int(head[3:]) if head.startswith("run") and head[3:].isdigit() else None


def waiting_run_ids(conn: redis.Redis | None = None) -> set[int]:
    """The runs with a turn waiting: in the queue, or scheduled for a retry (RQ's Retry waits
    in the scheduled registry). A turn running on a worker is known by its run's lease, not by
    RQ's started registry, which keeps a killed worker's job for its whole timeout."""
    q = queue(conn)
    ids = [*q.get_job_ids(), *q.scheduled_job_registry.get_job_ids()]
    return {run_id for run_id in map(_run_of, ids) if run_id is not None}


# A run the sweeper had to queue again this many times without a turn committing is failed
# with a message (Retry starts the count again), rather than queued every sweep for good.
MAX_REQUEUES = 5
REQUEUE_MEMORY_SECONDS = 6 * 3600


def _requeue_key(run_id: int) -> str:
    return f"tasteloop:requeued:{run_id}"


def count_requeue(run_id: int, conn: redis.Redis | None = None) -> int:
    conn = conn or connection()
    count = int(conn.incr(_requeue_key(run_id)))
    conn.expire(_requeue_key(run_id), REQUEUE_MEMORY_SECONDS)
    return count


def forget_requeues(run_id: int, conn: redis.Redis | None = None) -> None:
    """The run moved on (a turn committed, or a person pressed Retry)."""
    (conn or connection()).delete(_requeue_key(run_id))


def queued_run_ids(conn: redis.Redis | None = None) -> set[int]:
    """The runs that have a turn waiting in the queue."""
    return {run_id for _, run_id in _queued(conn) if run_id is not None}
