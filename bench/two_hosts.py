"""Benchmark 3 of #17: two worker hosts sharing only the database and Redis, one SIGKILLed
mid-run; every run must finish with no iteration lost or duplicated.

Each "host" is a `python -m jobs.worker` process with its own environment (10 threads), as on
two machines. 20 runs of 3 iterations; the kill lands while the doomed host has turns in flight.
PostgreSQL and an external Redis when given (as the issue asks), SQLite and an embedded Redis
otherwise.

`python -m bench.two_hosts [--database-url postgresql+psycopg://…] [--redis-url redis://…]`
"""

from __future__ import annotations

import argparse
import json
import time

from tasteloop.domain.run_settings import LoopSettings
from tests.support.stack import stack

LATENCY = {"generate": 1.0, "critique": 0.5, "compare": 0.5}
RUNS, ITERATIONS = 20, 3


def trial(database_url: str | None, redis_url: str | None, kill_after_calls: int = 30) -> dict:
    with stack(
        database_url=database_url,
        redis_url=redis_url,
        latency=LATENCY,
        lease_seconds=3.0,
        extra_env={"TASTELOOP_WORKER_THREADS": "10"},
    ) as s:
        s.gateway.cheap = True
        run_ids = s.create_runs(RUNS, LoopSettings(ITERATIONS, 9.9, 9.8, 1))
        s.enqueue(run_ids)
        started = time.monotonic()
        doomed = s.start_worker()
        s.start_worker()
        while len(s.gateway.requests) < kill_after_calls:
            time.sleep(0.01)
        killed = s.kill(doomed)
        settled = s.wait_until_settled(run_ids, timeout=300)
        elapsed = time.monotonic() - started
        s.stop_workers()
        rows = s.audit(run_ids)
        generate_calls = len(s.gateway.calls("generate"))
    done = [r for r in rows if r["phase"] == "done" and r["iterations"] == ITERATIONS]
    duplicated = [
        r for r in rows if any("duplicated" in p or "over the cap" in p for p in r["problems"])
    ]
    return {
        "runs": RUNS,
        "settled": settled,
        "done": len(done),
        "lost": RUNS - len(done) - len(duplicated),
        "duplicated_iterations": len(duplicated),
        "inconsistent_runs": sum(1 for r in rows if r["problems"]),
        "processes_killed": len(killed),
        "generate_calls": generate_calls,
        # calls the killed host had in flight are asked again by the survivor
        "generate_calls_repeated": generate_calls - RUNS * ITERATIONS,
        "wall_s": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    for _ in range(args.trials):
        print(json.dumps(trial(args.database_url, args.redis_url)))


if __name__ == "__main__":
    main()
