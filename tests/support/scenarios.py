"""Fault scenarios through real workers, run by the process tests (few trials) and by the
benchmarks (many): a flaky gateway, and a worker SIGKILLed mid-call."""

from __future__ import annotations

import random
import time
from collections import Counter

from tasteloop.domain.run_settings import LoopSettings
from tests.support.stack import stack

# a flaky gateway: strict enough that most runs need several iterations (more calls, more
# faults); some gate
FAULT_SETTINGS = LoopSettings(4, 9.5, 8.7, 1)
# what a provider does when it is having a bad day; a 400 (our own bad request) is not one of them
TRANSIENT_FAULTS = ("500", "429", "hang", "malformed", "missing_field", "out_of_range", "no_image")


def fault_runs(runs: int, fault_rate: float, workers: int = 2, seed: int = 11) -> dict:
    with stack(fault_rate=fault_rate, seed=seed, random_faults=TRANSIENT_FAULTS) as s:
        run_ids = s.create_runs(runs, FAULT_SETTINGS)
        s.enqueue(run_ids)
        for _ in range(workers):
            s.start_worker()
        settled = s.wait_until_settled(run_ids, timeout=120 + 15 * runs)
        s.stop_workers()
        rows = s.audit(run_ids)
        faults = Counter(r.fault for r in s.gateway.requests if getattr(r, "fault", None))
        calls = len(s.gateway.requests)
    outcomes = Counter(
        f"{row['phase']} ({row['outcome']})" if row["outcome"] else row["phase"] for row in rows
    )
    unclear = [
        row["run"]
        for row in rows
        if row["phase"] == "failed" and not (row["retryable"] and row["error"])
    ]
    return {
        "runs": runs,
        "fault_rate": fault_rate,
        "gateway_calls": calls,
        "faults_injected": dict(faults),
        "all_settled": settled,
        "outcomes": dict(outcomes),
        "critic_failure_iterations": sum(row["critic_failures"] for row in rows),
        "failed_without_clear_retryable_reason": unclear,
        "inconsistent_runs": {row["run"]: row["problems"] for row in rows if row["problems"]},
        "failure_reasons": sorted({(row["error"] or "")[:140] for row in rows if row["error"]}),
    }


# worker kill
KILL_LATENCY = {"generate": 0.8, "critique": 0.4}
KILL_ITERATIONS = 3
# never converges or gates (the test gateway's critic stays under 9.8), so every run needs all
# three iterations and a kill always lands mid-run
KILL_SETTINGS = LoopSettings(KILL_ITERATIONS, 9.9, 9.8, 1)


def kill_trials(count: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    results = {"trials": count, "completed": 0, "lost": 0, "duplicated": 0, "rows": []}
    with stack(latency=KILL_LATENCY, lease_seconds=3.0) as s:
        for trial in range(count):
            (run_id,) = s.create_runs(1, KILL_SETTINGS)
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
            complete = settled and row["phase"] == "done" and row["iterations"] == KILL_ITERATIONS
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
