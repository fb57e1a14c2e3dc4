"""Find runs whose worker died and put them back on the queue."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from jobs.queue import enqueue_for, queued_run_ids
from store.db import get_database
from store.leases import ORPHAN_AFTER, lease_seconds, runs_to_resume, unleased_working_runs
from store.spending import release_stale_holds

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
    if quiet:
        queued = queued_run_ids()
        found.update({run_id: phase for run_id, phase in quiet.items() if run_id not in queued})
    for run_id, phase in found.items():
        log.warning("requeueing run %s (%s): its worker stopped", run_id, phase)
        enqueue_for(run_id, phase)
    return sorted(found)


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
