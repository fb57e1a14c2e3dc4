"""Find runs whose worker died and put them back on the queue."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from jobs.queue import MAX_REQUEUES, count_requeue, enqueue_for, waiting_run_ids
from store.db import get_database
from store.leases import ORPHAN_AFTER, lease_seconds, runs_to_resume, unleased_working_runs
from store.models import Run
from store.runs import record_failure
from store.spending import release_stale_holds
from store.states import Phase, Stage

GAVE_UP = (
    "The workers could not move this run on: it was started again {times} times and every "
    "turn stopped before it finished. Press Retry to try once more; if it stops again, tell "
    "the site's administrator."
)

log = logging.getLogger(__name__)


def requeue_abandoned() -> list[int]:
    """Requeue working runs whose worker was killed mid-turn (an expired lease), and runs with
    no lease, no recent change and no turn in the queue (their job was lost: Redis restarted
    empty, or a worker died between taking the job and claiming the run). A run waiting its
    turn in the queue is left alone, however long it waits.

    Jobs are idempotent, so a spare enqueue is harmless.
    """
    with get_database().session() as session:
        release_stale_holds(session)
        found = runs_to_resume(session)
        quiet_for = max(ORPHAN_AFTER, timedelta(seconds=2 * lease_seconds()))
        quiet = unleased_working_runs(session, quiet_for)
    if found or quiet:
        # a run whose turn already waits (queued, or scheduled for RQ's retry) is not queued
        # twice: the count below is of times the run really had to be put back
        waiting = waiting_run_ids()
        found.update(quiet)
        found = {run_id: phase for run_id, phase in found.items() if run_id not in waiting}
    requeued = []
    for run_id, phase in found.items():
        if count_requeue(run_id) > MAX_REQUEUES:
            _give_up(run_id, phase)
            continue
        log.warning("requeueing run %s (%s): its worker stopped", run_id, phase)
        enqueue_for(run_id, phase)
        requeued.append(run_id)
    return sorted(requeued)


def _give_up(run_id: int, phase: Phase) -> None:
    log.error(
        "run %s (%s) was requeued %d times without progress: failing it",
        run_id,
        phase,
        MAX_REQUEUES,
    )
    with get_database().session() as session:
        run = session.get(Run, run_id)
        if run is not None and run.phase == phase:
            record_failure(run, Stage.of(phase), GAVE_UP.format(times=MAX_REQUEUES), retryable=True)


class Sweeper(threading.Thread):
    def __init__(self, interval: float = 15.0) -> None:
        super().__init__(daemon=True, name="tasteloop-sweeper")
        self.interval = interval
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                requeue_abandoned()
            except Exception:  # noqa: BLE001 - the sweeper must outlive a bad pass
                log.exception("sweep failed")

    def stop(self) -> None:
        self._stop.set()
