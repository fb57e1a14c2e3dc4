"""Whether any worker is alive to move runs on (jobs.heartbeat)."""

from __future__ import annotations

import redis

from jobs.heartbeat import workers_alive
from jobs.queue import QueueUnavailable, connection


def no_worker_running() -> bool:
    """True only when Redis answers and no worker has beaten lately; a Redis outage is a
    different problem, reported where it happens."""
    try:
        return workers_alive(connection()) == 0
    except (QueueUnavailable, redis.RedisError):
        return False
