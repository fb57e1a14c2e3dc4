"""`python -m jobs.worker`: one RQ worker on the tasteloop queue, plus the abandoned-run sweeper."""

from __future__ import annotations

import argparse
import logging
import sys

import redis
from rq import Worker

from jobs.heartbeat import Heartbeat
from jobs.queue import QueueUnavailable, connection, queue
from jobs.sweeper import Sweeper
from store.db import database_url
from store.migrate import migration_problem
from tasteloop.config import ConfigError, EngineSettings, load_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--sweep-interval", type=float, default=15.0)
    args = parser.parse_args(argv)
    load_env()
    try:
        EngineSettings.from_env()
    except ConfigError as exc:
        print(f"tasteloop worker cannot start: {exc}", file=sys.stderr)
        return 1
    try:
        conn = connection()
        conn.ping()
    except (QueueUnavailable, redis.RedisError) as exc:
        print(f"tasteloop worker cannot start: cannot reach Redis ({exc})", file=sys.stderr)
        return 2
    problem = migration_problem(database_url())
    if problem:
        print(f"tasteloop worker cannot start: {problem}", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    # Build the engine once here: RQ forks a work-horse per job, and each fork inherits the
    # imports and clients instead of paying ~0.7 s to build them again (bench/orchestration.py).
    from jobs.tasks import engine

    engine()
    sweeper = Sweeper(args.sweep_interval)
    heartbeat = Heartbeat(conn)
    sweeper.start()
    heartbeat.start()
    try:
        Worker([queue(conn)], connection=conn).work(burst=args.burst, with_scheduler=True)
    finally:
        heartbeat.stop()
        sweeper.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
