"""One worker per run: a lease with an expiry, taken and renewed with conditional UPDATEs.

A worker that dies stops renewing; `runs_to_resume` finds its runs so they can be re-enqueued,
and `unleased_working_runs` the ones whose job vanished before any worker claimed them.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from store.models import Run, utcnow
from store.states import WORKING_PHASES, Phase

DEFAULT_LEASE_SECONDS = 60
# A working run with no lease, no change for this long and no turn in the queue lost its job:
# Redis restarted empty, or a worker was killed after taking the job but before claiming the run.
ORPHAN_AFTER = timedelta(seconds=10)


def lease_seconds() -> float:
    """How long a worker's claim on a run lasts without renewal (TASTELOOP_LEASE_SECONDS).

    Shorter leases recover a killed worker's run sooner; the fault-injection script uses 3 s.
    """
    return float(os.environ.get("TASTELOOP_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS)


def lease_expiry() -> datetime:
    return utcnow() + timedelta(seconds=lease_seconds())


def acquire_lease(session: Session, run_id: int, owner: str, phase: Phase) -> bool:
    """Claim a run in `phase` for one worker; False when another live worker holds it."""
    now = utcnow()
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.phase == phase)
        .where(or_(Run.lease_owner.is_(None), Run.lease_expires_at < now, Run.lease_owner == owner))
        .values(lease_owner=owner, lease_expires_at=lease_expiry())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def renew_lease(session: Session, run_id: int, owner: str) -> bool:
    """Push the expiry on while a long model call is in flight; False if the run is not ours."""
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.lease_owner == owner)
        .values(lease_expires_at=lease_expiry())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_lease(session: Session, run_id: int, owner: str) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id, Run.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )


def lock_if_ours(session: Session, run_id: int, owner: str, phase: Phase) -> bool:
    """Take the run's row for this transaction if it is in `phase` and leased to `owner`: a
    conditional write, so a concurrent change (a Stop, another worker) waits for this
    transaction or has already made it fail. The caller writes the run in the same
    transaction."""
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.phase == phase, Run.lease_owner == owner)
        .values(lease_expires_at=lease_expiry())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def clear_lease(run: Run) -> None:
    """The run's lease goes with the state change being made to it (no worker holds it now)."""
    run.lease_owner = None
    run.lease_expires_at = None


def holds_lease(run: Run | None, owner: str, phase: Phase) -> bool:
    return run is not None and run.lease_owner == owner and run.phase == phase


def runs_to_resume(session: Session) -> dict[int, Phase]:
    """Working runs whose worker was killed mid-turn: their lease expired. Each is touched, so
    the next sweep waits for this resumption to be taken. Returns run id → phase."""
    now = utcnow()
    stale = session.execute(
        select(Run.id, Run.phase).where(
            Run.phase.in_(WORKING_PHASES),
            Run.lease_owner.is_not(None),
            Run.lease_expires_at < now,
        )
    ).all()
    found = {run_id: phase for run_id, phase in stale}
    if found:
        session.execute(
            update(Run)
            .where(Run.id.in_(list(found)))
            .values(status_note="Resuming after an interrupted worker", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return found


def unleased_working_runs(session: Session, quiet_for: timedelta) -> dict[int, Phase]:
    """Working runs no worker holds and nothing changed for `quiet_for`: either queued and
    waiting their turn, or their job died with a worker between taking it and claiming the run.
    The caller tells the two apart by looking at the queue."""
    rows = session.execute(
        select(Run.id, Run.phase).where(
            Run.phase.in_(WORKING_PHASES),
            Run.lease_owner.is_(None),
            Run.updated_at < utcnow() - quiet_for,
        )
    ).all()
    return {run_id: phase for run_id, phase in rows}
