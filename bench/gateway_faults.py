"""Twenty runs through real workers against the local gateway failing 30 % of its calls
(500, 429, timeouts, malformed JSON, missing fields, missing image). Every run must end done,
gated, or failed with a clear retryable reason, and the database must stay consistent.

`python -m bench.gateway_faults [--runs 20] [--fault-rate 0.3]`
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

from bench.harness import stack
from tasteloop.domain.run_settings import LoopSettings

# strict enough that most runs need several iterations (more calls, more faults); some gate
SETTINGS = LoopSettings(4, 9.5, 8.7, 1)
# what a provider does when it is having a bad day; a 400 (our own bad request) is not one of them
TRANSIENT_FAULTS = ("500", "429", "hang", "malformed", "missing_field", "out_of_range", "no_image")


def fault_runs(runs: int, fault_rate: float, workers: int = 2, seed: int = 11) -> dict:
    with stack(fault_rate=fault_rate, seed=seed, random_faults=TRANSIENT_FAULTS) as s:
        run_ids = s.create_runs(runs, SETTINGS)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    args = parser.parse_args()
    print(json.dumps(fault_runs(args.runs, args.fault_rate), indent=2))


if __name__ == "__main__":
    main()
