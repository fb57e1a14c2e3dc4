"""Wall time per iteration through a real worker, against the 3.0 s a model provider takes.

The test gateway answers each generation in 2.0 s, each critique in 1.0 s and each pairwise
comparison ask in 0.5 s (in total, its own rendering and judging included). An iteration cannot
take less than 3.0 s, plus, from the second iteration on, one comparison (its two asks go
together): 3.0 + 0.5 x (n - 1) / n s per iteration over n iterations. Everything above that floor
is tasteloop: the queue, the worker, the database, image decoding and measurement.

Benchmark 1: best-of-1, overhead vs the 3.0 s floor (target ≤ 5 %).
Benchmark 2: best-of-4 vs best-of-1 wall time per iteration (target ≤ 1.15×).

`python -m bench.orchestration [--runs 5] [--iterations 3]`
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC

import redis
from sqlalchemy import select

from store.db import get_database
from store.models import Iteration
from tasteloop.domain.run_settings import LoopSettings
from tests.support.stack import Stack, stack

LATENCY = {"generate": 2.0, "critique": 1.0, "compare": 0.5}


def floor(iterations: int) -> float:
    compared = LATENCY["compare"] * (iterations - 1) / iterations
    return LATENCY["generate"] + LATENCY["critique"] + compared


def _timed_run(s: Stack, iterations: int, candidates: int) -> float:
    """Enqueue one run on an idle worker; seconds per iteration from enqueue to last commit."""
    (run_id,) = s.create_runs(1, LoopSettings(iterations, 9.9, 9.8, candidates))
    enqueued = time.time()
    s.enqueue([run_id])
    assert s.wait_until_settled([run_id], timeout=60 + 10 * iterations)
    with get_database(s.database_url).session() as session:
        stamps = list(
            session.scalars(
                select(Iteration.created_at)
                .where(Iteration.run_id == run_id)
                .order_by(Iteration.index)
            )
        )
    assert len(stamps) == iterations, s.audit([run_id])
    last = stamps[-1] if stamps[-1].tzinfo else stamps[-1].replace(tzinfo=UTC)
    return (last.timestamp() - enqueued) / iterations


def measure(runs: int, iterations: int) -> dict:
    result: dict = {"floor_s": round(floor(iterations), 3), "runs": runs}
    result["iterations_per_run"] = iterations
    with stack(latency=LATENCY, lease_seconds=60, extra_env={"TASTELOOP_TIMEOUT": "30"}) as s:
        s.start_worker()
        redis.Redis.from_url(s.redis_url).ping()
        time.sleep(2.0)  # the worker is up and listening before the clock starts
        _timed_run(s, 1, 1)  # warm-up: imports, first engine build, first fork
        for candidates in (1, 4):
            per_iteration = [_timed_run(s, iterations, candidates) for _ in range(runs)]
            median = statistics.median(per_iteration)
            result[f"best_of_{candidates}"] = {
                "median_s_per_iteration": round(median, 3),
                "all_s": [round(x, 3) for x in per_iteration],
                "overhead_vs_floor_pct": round(100 * (median / floor(iterations) - 1), 2),
            }
        s.stop_workers()
        result["max_calls_in_flight"] = s.gateway.max_in_flight
    result["best_of_4_vs_1"] = round(
        result["best_of_4"]["median_s_per_iteration"]
        / result["best_of_1"]["median_s_per_iteration"],
        3,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.runs, args.iterations), indent=2))


if __name__ == "__main__":
    main()
