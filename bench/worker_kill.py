"""Kill a real worker with SIGKILL while it is generating or critiquing, start another, and check
the run completes with no iteration lost or duplicated.

`python -m bench.worker_kill [--trials 20]`
"""

from __future__ import annotations

import argparse
import json
import random
import time

from bench.harness import stack
from tasteloop.domain.run_settings import LoopSettings

LATENCY = {"generate": 0.8, "critique": 0.4}
ITERATIONS = 3
# never converges or gates (the test gateway's critic stays under 9.8), so every run needs all
# three iterations and a kill always lands mid-run
SETTINGS = LoopSettings(ITERATIONS, 9.9, 9.8, 1)


def trials(count: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    results = {"trials": count, "completed": 0, "lost": 0, "duplicated": 0, "rows": []}
    with stack(latency=LATENCY, lease_seconds=3.0) as s:
        for trial in range(count):
            (run_id,) = s.create_runs(1, SETTINGS)
            s.enqueue([run_id])
            before = len(s.gateway.requests)
            first = s.start_worker()
            # kill inside a model call: the 1st-4th call of the run (generate or critique of
            # iteration 1 or 2), part-way through its simulated latency
            target = before + rng.randint(1, 4)
            while len(s.gateway.requests) < target:
                time.sleep(0.01)
            role = s.gateway.requests[target - 1].role
            time.sleep(rng.uniform(0.05, 0.35))
            calls_before = len(s.gateway.requests) - before
            killed = s.kill(first)
            started = time.monotonic()
            s.start_worker()
            settled = s.wait_until_settled([run_id], timeout=60)
            recovery = time.monotonic() - started
            s.stop_workers()
            (row,) = s.audit([run_id])
            complete = settled and row["phase"] == "done" and row["iterations"] == ITERATIONS
            duplicated = any("duplicated" in p or "over the cap" in p for p in row["problems"])
            lost = not complete and not duplicated
            results["completed"] += complete and not row["problems"]
            results["lost"] += lost
            results["duplicated"] += duplicated
            results["rows"].append(
                {
                    "trial": trial,
                    "killed_during": role,
                    "killed_after_calls": calls_before,
                    "processes_killed": len(killed),
                    "recovery_s": round(recovery, 2),
                    **{k: row[k] for k in ("phase", "iterations", "problems")},
                }
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    result = trials(args.trials)
    rows = result.pop("rows")
    for row in rows:
        print(json.dumps(row))
    recoveries = sorted(r["recovery_s"] for r in rows)
    result["median_recovery_s"] = recoveries[len(recoveries) // 2]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
