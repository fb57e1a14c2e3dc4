"""Worker jobs. Each takes a run id, reads the saved state, and continues from there.

Running a job twice never duplicates work: a per-run lease admits one worker at a time and
the loop resumes from the last committed iteration.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from functools import lru_cache

from sqlalchemy import update

from store.db import get_database
from store.models import Phase, Run, utcnow
from store.runs import (
    acquire_lease,
    commit_iteration,
    finish_run,
    latest_profile,
    lease_seconds,
    loop_settings,
    loop_state,
    record_extraction,
    record_failure,
    reference_bytes,
    release_lease,
)
from tasteloop.config import ConfigError, EngineSettings
from tasteloop.engine_types import Engine
from tasteloop.loop import GateDecision, IterationRecord, LoopState, run_loop

log = logging.getLogger(__name__)


class LeaseLost(RuntimeError):
    """Another worker took the run over (ours was presumed dead): stop without writing."""


@lru_cache(maxsize=1)
def engine() -> Engine:
    from tasteloop.engines import build_engine

    return build_engine(EngineSettings.from_env())


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseKeeper:
    """Renews the run's lease while a long model call is in flight."""

    def __init__(self, run_id: int, owner: str, interval: float | None = None) -> None:
        self.run_id, self.owner = run_id, owner
        self.interval = interval or lease_seconds() / 4
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True)

    def _renew(self) -> None:
        from datetime import timedelta

        while not self._stop.wait(self.interval):
            with get_database().session() as session:
                session.execute(
                    update(Run)
                    .where(Run.id == self.run_id, Run.lease_owner == self.owner)
                    .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds()))
                    .execution_options(synchronize_session=False)
                )

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def extract_profile(run_id: int) -> str:
    db = get_database()
    owner = worker_identity()
    with db.session() as session:
        if not acquire_lease(session, run_id, owner, (Phase.EXTRACTING,)):
            return "skipped: not extracting or another worker has it"
        run = session.get(Run, run_id)
        assert run is not None
        images = reference_bytes(session, run)
        run.status_note = f"Measuring and describing what your {len(images)} references share"
    try:
        with LeaseKeeper(run_id, owner):
            extraction = engine().extractor.extract(images)
    except Exception as exc:  # noqa: BLE001 - every failure ends as a visible, retryable state
        log.exception("extraction failed for run %s", run_id)
        _fail_if_still_ours(run_id, owner, "extract", exc)
        return "failed"
    with db.session() as session:
        run = session.get(Run, run_id)
        if run is None or run.lease_owner != owner or run.phase != Phase.EXTRACTING:
            return "skipped: run changed while extracting"
        record_extraction(session, run, extraction.profile, extraction.usage)
        release_lease(session, run_id, owner)
    return "extracted"


def advance_run(run_id: int) -> str:
    db = get_database()
    owner = worker_identity()
    with db.session() as session:
        if not acquire_lease(session, run_id, owner, (Phase.GENERATING,)):
            return "skipped: not generating or another worker has it"
        run = session.get(Run, run_id)
        assert run is not None
        profile = latest_profile(run)
        settings = loop_settings(run)
        state = loop_state(session, run)
        intent, seed, max_iterations = run.intent, run.seed, run.max_iterations
        run.status_note = f"Generating iteration {state.next_index + 1} of {max_iterations}"
    assert profile is not None

    def on_iteration(record: IterationRecord, _state: LoopState) -> None:
        with db.session() as session:
            run = session.get(Run, run_id)
            if run is None or run.lease_owner != owner or run.phase != Phase.GENERATING:
                raise LeaseLost(f"run {run_id} is no longer ours")
            phase = commit_iteration(session, run, record)
            if phase == Phase.GENERATING:
                run.status_note = (
                    f"Iteration {record.index + 1} scored {record.score:.1f}; generating "
                    f"iteration {record.index + 2} of {max_iterations}"
                )

    if state.next_index >= settings.max_iterations:
        with db.session() as session:
            run = session.get(Run, run_id)
            assert run is not None

            finish_run(run, "max_iterations", run.best_iteration_id)
        return "done"
    try:
        with LeaseKeeper(run_id, owner):
            run_loop(
                intent,
                profile,
                engine().generator,
                engine().critic,
                settings,
                state=state,
                gate=lambda _record: GateDecision.PAUSE,
                on_iteration=on_iteration,
                seed=seed,
            )
    except LeaseLost:
        return "stopped: lease lost"
    except Exception as exc:  # noqa: BLE001 - a generator failure stops the run, visibly
        log.exception("generation failed for run %s", run_id)
        _fail_if_still_ours(run_id, owner, "generate", exc)
        return "failed"
    with db.session() as session:
        release_lease(session, run_id, owner)
    return "advanced"


def reextract_library_profile(library_profile_id: int) -> str:
    """The explicit "re-extract" action: a new version beside the old, never a replacement."""
    from store.library import add_reextracted, reextract_pending
    from store.models import Blob, LibraryProfile

    db = get_database()
    with db.session() as session:
        entry = session.get(LibraryProfile, library_profile_id)
        if entry is None or not reextract_pending(entry):
            return "skipped: not requested"
        images = [session.get(Blob, ref.blob_sha).data for ref in entry.references]  # type: ignore[union-attr]
    try:
        extraction = engine().extractor.extract(images)
    except Exception as exc:  # noqa: BLE001 - shown on the library page, and can be asked again
        log.exception("re-extraction failed for library profile %s", library_profile_id)
        with db.session() as session:
            entry = session.get(LibraryProfile, library_profile_id)
            if entry is not None:
                entry.reextract_requested_at = None
                entry.reextract_error = _reason(exc)[:2000]
        return "failed"
    with db.session() as session:
        entry = session.get(LibraryProfile, library_profile_id)
        if entry is None or not reextract_pending(entry):
            return "skipped: deleted or cancelled while extracting"
        add_reextracted(session, entry, extraction.profile)
    return "re-extracted"


def _fail_if_still_ours(run_id: int, owner: str, stage: str, exc: BaseException) -> None:
    """Records the failure unless another worker has taken the run over meanwhile."""
    with get_database().session() as session:
        run = session.get(Run, run_id)
        if run is not None and run.lease_owner == owner:
            record_failure(session, run, stage, _reason(exc), _retryable(exc))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConfigError):
        return f"The engine is not configured: {exc}"
    return str(exc) or type(exc).__name__


def _retryable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retryable", not isinstance(exc, ConfigError)))
