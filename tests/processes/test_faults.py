"""Real worker processes under faults: SIGKILL mid-call, a flaky gateway, and two workers racing
for the same runs (PostgreSQL when TEST_DATABASE_URL is set, SQLite otherwise). The bench/
scripts run the same checks with more trials; their figures are in BENCHMARKS.md."""

from __future__ import annotations

from tasteloop.domain.run_settings import LoopSettings
from tests.support.scenarios import fault_runs, kill_trials
from tests.support.stack import stack


def test_worker_killed_mid_call_loses_and_duplicates_nothing():
    result = kill_trials(2, seed=3)
    assert all(
        row["processes_killed"] >= 1 for row in result["rows"]
    )  # the worker, threads and all
    assert result["completed"] == 2, result["rows"]
    assert result["lost"] == 0 and result["duplicated"] == 0


def test_flaky_gateway_runs_end_consistently():
    result = fault_runs(runs=6, fault_rate=0.3, seed=5)
    assert result["all_settled"], result
    assert sum(result["faults_injected"].values()) > 0
    assert result["inconsistent_runs"] == {}, result
    assert result["failed_without_clear_retryable_reason"] == []
    assert {outcome.split()[0] for outcome in result["outcomes"]} <= {"done", "gated", "failed"}


def test_two_workers_never_advance_one_run_at_once(database_url, redis_url, redis_conn):
    runs, iterations_each = 20, 3
    with stack(database_url=database_url, redis_url=redis_url, lease_seconds=30) as s:
        run_ids = s.create_runs(runs, LoopSettings(iterations_each, 9.9, 9.8, 1))
        # The simulated provider answers from pre-painted images and hashed scores: measuring
        # every image itself (with the style network) would take the two cores the workers
        # need, and its time-outs would be retries that call the generator again legitimately.
        s.gateway.cheap = True
        s.enqueue(run_ids, copies=2)  # every run is queued twice: both workers will want it
        s.start_worker()
        s.start_worker()
        assert s.wait_until_settled(run_ids, timeout=300)
        s.stop_workers()
        rows = s.audit(run_ids)
        generate_calls = sum(1 for r in s.gateway.requests if r.role == "generate")
    assert {row["phase"] for row in rows} == {"done"}
    assert [row["problems"] for row in rows] == [[]] * runs
    assert sum(row["iterations"] for row in rows) == runs * iterations_each
    # two workers inside one run at once would both call the generator for the same index
    assert generate_calls == runs * iterations_each
