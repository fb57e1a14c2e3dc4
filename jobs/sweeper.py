"""Find runs whose worker died and put them back on the queue."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import select

from jobs.queue import enqueue_advance, enqueue_extract
from store.db import get_database
from store.models import Phase, Run, utcnow
from store.runs import abandoned_runs

log = logging.getLogger(__name__)
ORPHAN_AFTER = timedelta(seconds=90)


def requeue_abandoned() -> list[int]:
    """Requeue working runs with an expired lease, or with no lease and no progress for a while.

    The second case covers a job lost before any worker took it (Redis restarted empty).
    Jobs are idempotent, so a spare enqueue is harmless.
    """
    with get_database().session() as session:
        stale = set(abandoned_runs(session))
        stale |= set(
            session.scalars(
                select(Run.id).where(
                    Run.phase.in_(Phase.WORKING),
                    Run.lease_owner.is_(None),
                    Run.updated_at < utcnow() - ORPHAN_AFTER,
                )
            )
        )
        phases = dict(session.execute(select(Run.id, Run.phase).where(Run.id.in_(stale))).all())
        for run_id in stale:  # touch so the next sweep waits for this enqueue to be taken
            session.get(Run, run_id).status_note = "Resuming after an interrupted worker"  # type: ignore[union-attr]
    for run_id, phase in phases.items():
        log.warning("requeueing run %s (%s): its worker stopped", run_id, phase)
        if phase == Phase.EXTRACTING:
            enqueue_extract(run_id)
        else:
            enqueue_advance(run_id)
    return sorted(phases)


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
