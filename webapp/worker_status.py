"""Whether any worker is alive to move runs on (jobs.heartbeat), and where a run waits."""

from __future__ import annotations

import redis

from jobs.heartbeat import workers_alive
from jobs.queue import Ahead, QueueUnavailable, connection, runs_ahead


def no_worker_running() -> bool:
    """True only when Redis answers and no worker has beaten lately; a Redis outage is a
    different problem, reported where it happens."""
    try:
        return workers_alive(connection()) == 0
    except (QueueUnavailable, redis.RedisError):
        return False


def waiting_behind(run_id: int) -> Ahead | None:
    """What is queued ahead of this run's turn; None when it is not queued."""
    try:
        return runs_ahead(run_id, connection())
    except (QueueUnavailable, redis.RedisError):
        return None
