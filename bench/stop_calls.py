"""Benchmark 4 of #17: after Stop, no provider call beyond those in flight.

A real worker generates one run through the wire gateway (1 s per generation, 0.5 s per
critique or comparison); Stop lands at a random moment inside a call. Counted: calls reaching the
gateway after the Stop, and calls beyond those in flight (must be 0: a call the worker had
already decided on may arrive just after the Stop; the two asks of a pairwise comparison go
together), and whether the stopped run kept its iterations consistent.

`python -m bench.stop_calls [--trials 10]`
"""

from __future__ import annotations

import argparse
import json
import random
import time

from store.db import get_database
from store.models import Run
from store.runs import stop_run
from tasteloop.domain.run_settings import LoopSettings
from tests.support.stack import stack

LATENCY = {"generate": 1.0, "critique": 0.5, "compare": 0.5}


def trials(count: int, seed: int = 11) -> dict:
    rng = random.Random(seed)
    rows = []
    with stack(latency=LATENCY, lease_seconds=3.0) as s:
        s.gateway.cheap = True
        s.start_worker()
        for _ in range(count):
            (run_id,) = s.create_runs(1, LoopSettings(4, 9.9, 9.8, 1))
            before = len(s.gateway.requests)
            s.enqueue([run_id])
            target = before + rng.randint(1, 8)  # somewhere in the first two or three iterations
            while len(s.gateway.requests) < target:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.4))
            with get_database(s.database_url).session() as session:
                stop_run(session, session.get(Run, run_id))
            at_stop = len(s.gateway.requests)
            in_flight = s.gateway.in_flight  # at the gateway when the stop was committed
            time.sleep(2.0)  # longer than any call: the one in flight has ended
            (audit,) = s.audit([run_id])
            rows.append(
                {
                    "calls_before_stop": at_stop - before,
                    "calls_after_stop": len(s.gateway.requests) - at_stop,
                    "in_flight_at_stop": in_flight,
                    "outcome": str(audit["outcome"]),
                    "iterations_kept": audit["iterations"],
                    "problems": audit["problems"],
                }
            )
        s.stop_workers()
    for r in rows:
        # Calls in flight at the stop were sent before it (both asks of a pairwise comparison go
        # together, so there can be two). When none was in flight, one the worker had already
        # decided on may reach the gateway just after the stop: that one is allowed too. Any
        # other call arriving after the stop is a violation.
        allowed_late = 1 if r["in_flight_at_stop"] == 0 else 0
        r["calls_beyond_those_in_flight"] = max(0, r["calls_after_stop"] - allowed_late)
    return {
        "trials": count,
        "calls_after_stop_total": sum(r["calls_after_stop"] for r in rows),
        "calls_beyond_those_in_flight": sum(r["calls_beyond_those_in_flight"] for r in rows),
        "most_in_flight_at_stop": max((r["in_flight_at_stop"] for r in rows), default=0),
        "all_stopped_consistently": all(
            r["outcome"] == "stopped" and not r["problems"] for r in rows
        ),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10)
    print(json.dumps(trials(parser.parse_args().trials), indent=2))


if __name__ == "__main__":
    main()
