"""The worker process behind `python -m jobs.worker`: RQ workers on the tasteloop queue, one per
thread (`--threads`, default TASTELOOP_WORKER_THREADS or 10), plus the abandoned-run sweeper and
the heartbeat."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import redis

from jobs.heartbeat import Heartbeat
from jobs.queue import QueueUnavailable, connection, queue
from jobs.sweeper import Sweeper
from jobs.worker_threads import WorkerThreads, worker_threads_setting
from store.db import database_url
from store.migrate import migration_problem
from tasteloop.config import ConfigError, EngineSettings, load_env

WORKER_NICENESS = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--sweep-interval", type=float, default=15.0)
    parser.add_argument("--threads", type=int, default=None, help="runs advanced at once")
    args = parser.parse_args(argv)
    load_env()
    try:
        threads = args.threads or worker_threads_setting()
    except ValueError as exc:
        print(f"tasteloop worker cannot start: {exc}", file=sys.stderr)
        return 1
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
    # Build the engine once here, before the threads share it.
    from jobs.tasks import engine

    engine()
    # Background work yields the CPU to the web server's requests when both share a machine
    # (`make run`): a page poll waits on the CPU, a turn mostly waits on the provider.
    os.nice(WORKER_NICENESS)
    sweeper = Sweeper(args.sweep_interval)
    heartbeat = Heartbeat(conn)
    sweeper.start()
    heartbeat.start()
    try:
        WorkerThreads(queue(conn), conn, threads).run(burst=args.burst)
    finally:
        heartbeat.stop()
        sweeper.stop()
    return 0
