"""Find runs whose worker died and put them back on the queue."""

from __future__ import annotations

import logging
import threading

from jobs.queue import enqueue_for
from store.db import get_database
from store.leases import runs_to_resume

log = logging.getLogger(__name__)


def requeue_abandoned() -> list[int]:
    """Requeue working runs whose worker stopped (store.leases decides which).

    Jobs are idempotent, so a spare enqueue is harmless.
    """
    with get_database().session() as session:
        found = runs_to_resume(session)
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
