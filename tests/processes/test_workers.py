"""Real worker processes on real Redis and a database: several runs at once, a worker host killed
mid-run, and a stop racing the call in flight."""

import time

from store.db import get_database
from store.models import Run
from store.runs import stop_run
from tasteloop.domain.run_settings import LoopSettings
from tests.support.stack import stack


def test_one_worker_process_advances_several_runs_at_once(database_url, redis_url, redis_conn):
    latency = {"generate": 0.6, "critique": 0.3}
    with stack(
        database_url=database_url,
        redis_url=redis_url,
        latency=latency,
        extra_env={"TASTELOOP_WORKER_THREADS": "4"},
    ) as s:
        run_ids = s.create_runs(4, LoopSettings(2, 9.9, 9.8, 1))
        s.enqueue(run_ids)
        s.start_worker()
        assert s.wait_until_settled(run_ids, timeout=120)
        s.stop_workers()
        rows = s.audit(run_ids)
        # four runs' calls were in flight at the same moment: one process, four turns at once
        assert s.gateway.max_in_flight >= 4
    assert [row["problems"] for row in rows] == [[]] * 4
    assert {row["phase"] for row in rows} == {"done"}


def test_two_worker_hosts_one_killed_mid_run_lose_and_duplicate_nothing(
    database_url, redis_url, redis_conn
):
    """Two worker processes sharing only the database and Redis, as two hosts would; one is
    SIGKILLed while runs are mid-flight, and its runs come back through their leases."""
    latency = {"generate": 0.4, "critique": 0.2}
    with stack(
        database_url=database_url,
        redis_url=redis_url,
        latency=latency,
        lease_seconds=2.0,
        extra_env={"TASTELOOP_WORKER_THREADS": "3"},
    ) as s:
        run_ids = s.create_runs(6, LoopSettings(3, 9.9, 9.8, 1))
        s.enqueue(run_ids)
        doomed = s.start_worker()
        s.start_worker()
        while len(s.gateway.calls("generate")) < 6:
            time.sleep(0.02)
        s.kill(doomed)
        assert s.wait_until_settled(run_ids, timeout=180)
        s.stop_workers()
        rows = s.audit(run_ids)
    assert [row["problems"] for row in rows] == [[]] * 6
    assert [row["iterations"] for row in rows] == [3] * 6


def test_after_a_stop_the_call_in_flight_is_the_last_one(database_url, redis_url, redis_conn):
    with stack(
        database_url=database_url, redis_url=redis_url, latency={"generate": 1.5, "critique": 0.5}
    ) as s:
        (run_id,) = s.create_runs(1, LoopSettings(3, 9.9, 9.8, 1))
        s.enqueue([run_id])
        s.start_worker()
        while not s.gateway.calls("generate"):
            time.sleep(0.02)
        with get_database(database_url).session() as session:
            stop_run(session, session.get(Run, run_id))
        calls_at_stop = len(s.gateway.requests)
        # the generation in flight ends and the turn with it; nothing else may be asked
        assert s.wait_until_idle([run_id], timeout=30)
        calls_after = len(s.gateway.requests)
        s.stop_workers()
        (audit,) = s.audit([run_id])
    assert calls_at_stop == 1 and calls_after == 1
    assert audit["outcome"] == "stopped" and audit["iterations"] == 0 and audit["problems"] == []
