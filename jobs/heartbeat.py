"""Workers say they are alive, so the web app can tell people when none is.

Each worker process adds itself to one Redis sorted set, scored by the time of its last beat, every
few seconds from a thread (the work-horse may be busy for minutes on one model call). A worker
killed with SIGKILL stops beating and drops out after STALE_AFTER seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import redis

log = logging.getLogger(__name__)

KEY = "tasteloop:worker-heartbeats"
INTERVAL = 5.0
STALE_AFTER = 30.0


def beat(conn: redis.Redis, name: str, now: float | None = None) -> None:
    """This worker is alive; workers that stopped beating long ago are dropped from the set."""
    now = time.time() if now is None else now
    conn.zadd(KEY, {name: now})
    conn.zremrangebyscore(KEY, "-inf", now - STALE_AFTER)


def workers_alive(conn: redis.Redis, now: float | None = None) -> int:
    """A read only: every poll of a working run's page asks it."""
    cutoff = (time.time() if now is None else now) - STALE_AFTER
    return int(conn.zcount(KEY, cutoff, "+inf"))


class Heartbeat(threading.Thread):
    def __init__(self, conn: redis.Redis, interval: float = INTERVAL) -> None:
        super().__init__(daemon=True, name="tasteloop-heartbeat")
        self.conn = conn
        self.interval = interval
        self.name_in_redis = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()

    def run(self) -> None:
        while True:
            try:
                beat(self.conn, self.name_in_redis)
            except redis.RedisError as exc:
                log.warning("heartbeat not sent: %s", exc)
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop.set()
        try:
            self.conn.zrem(KEY, self.name_in_redis)
        except redis.RedisError:
            pass  # it drops out by itself after STALE_AFTER
