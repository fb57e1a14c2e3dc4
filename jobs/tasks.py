"""Worker jobs. Each takes an id, reads the saved state, and continues from there.

Running a job twice never duplicates work: a per-run lease admits one worker at a time and
the loop resumes from the last committed iteration.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from jobs.progress import Announced, set_step
from jobs.queue import enqueue_for, forget_requeues
from store.blobs import references_bytes
from store.db import get_database
from store.gates import pending_note, record_note_effect
from store.leases import (
    acquire_lease,
    holds_lease,
    lease_seconds,
    lock_if_ours,
    release_lease,
    renew_lease,
)
from store.library import add_reextracted, record_reextract_failure, reextract_pending
from store.models import Gate, LibraryProfile, Run
from store.runs import (
    commit_iteration,
    current_profile,
    finish_run,
    loop_settings,
    loop_state,
    record_extraction,
    record_failure,
)
from store.spending import settle, take_hold
from store.states import Outcome, Phase, Stage
from store.users import DISABLED_REASON
from tasteloop.config import ConfigError, EngineSettings
from tasteloop.domain.engine import Brief, Critic, Engine, Generator
from tasteloop.domain.profile import TasteProfile
from tasteloop.engines import build_engine, costs_money
from tasteloop.iteration import IterationRecord
from tasteloop.loop import LoopExit, LoopState, revise_with_note, run_loop
from tasteloop.metering import Meter, metering
from tasteloop.stopping import RunStopped, stop_when

log = logging.getLogger(__name__)
SKIPPED = "skipped: not in that phase, or another worker has it"
PAUSED = "paused: the person's monthly spending limit is reached"
# Iterations a job runs before the run's next turn goes to the back of the queue: one, so a
# run started behind thirty others gets its first image before their later iterations.
ITERATIONS_PER_TURN = 1


class LeaseLost(RuntimeError):
    """Another worker took the run over (ours was presumed dead): stop without writing."""


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The engine the configuration names, built once per worker process."""
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
        while not self._stop.wait(self.interval):
            with get_database().session() as session:
                renew_lease(session, self.run_id, self.owner)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def claim(session: Session, run_id: int, owner: str, phase: Phase) -> Run | None:
    """The run, leased to this worker; None when it is not in `phase`, another has it, or its
    account is disabled (the run is then failed, saying so, and makes no call)."""
    if not acquire_lease(session, run_id, owner, phase):
        return None
    run = session.get(Run, run_id)
    if run is not None and run.user.disabled:
        record_failure(run, Stage.of(phase), DISABLED_REASON, retryable=True)
        return None
    return run


# what each stage's turn is recorded as in the spending ledger
SPENDING_KIND = {Stage.EXTRACT: "extraction", Stage.GENERATE: "iteration"}
REEXTRACTION = "re-extraction"


@dataclass
class Work:
    """How the slow part of a job ended: `failed` is recorded on the run, `lost` is not ours.
    `meter` counts what the turn's calls cost; `hold` is what it holds against the cap."""

    hold: int | None
    account: str
    kind: str
    meter: Meter = field(default_factory=Meter)
    failed: bool = False
    lost: bool = False

    def settle(self, session: Session) -> None:
        """What the turn spent, recorded in the caller's transaction (exactly once)."""
        settle(session, self.hold, self.meter.cost_usd, self.kind, self.account)


@contextmanager
def model_calls(run_id: int, owner: str, stage: Stage, work: Work) -> Iterator[Work]:
    """Keep the lease alive around model calls and count what they cost; any failure ends as a
    visible run state, and whatever the calls cost is recorded however the turn ends."""
    try:
        with LeaseKeeper(run_id, owner), metering(work.meter):
            yield work
    except (LeaseLost, RunStopped):
        work.lost = True
        with get_database().session() as session:
            work.settle(session)
    except Exception as exc:  # noqa: BLE001 - every failure ends as a visible, retryable state
        log.exception("%s failed for run %s", stage, run_id)
        work.failed = True
        with get_database().session() as session:
            work.settle(session)
            run = session.get(Run, run_id)
            if run is not None and run.lease_owner == owner:
                record_failure(run, stage, _reason(exc), _retryable(exc))


def hold_for_turn(session: Session, run: Run, stage: Stage) -> Work | None:
    """Before the turn's model calls: hold its estimate against the person's monthly cap. A
    person over the cap waits, visibly; Retry (once the cap is raised, or next month) resumes
    where the run stopped. The caller commits the hold before any call."""
    kind = SPENDING_KIND[stage]
    held = take_hold(session, run.user, kind, costs_money=costs_money(engine().name))
    if held.problem is not None:
        record_failure(run, stage, f"Paused: {held.problem}", retryable=True)
        return None
    return Work(hold=held.hold_id, account=run.user.spending_key, kind=kind)


def extract_profile(run_id: int) -> str:
    owner = worker_identity()
    with get_database().session() as session:
        run = claim(session, run_id, owner, Phase.EXTRACTING)
        if run is None:
            return SKIPPED
        work = hold_for_turn(session, run, Stage.EXTRACT)
        if work is None:
            return PAUSED
        images = references_bytes(session, run.references)
        run.status_note = f"Measuring and describing what your {len(images)} references share"
    with model_calls(run_id, owner, Stage.EXTRACT, work):
        extraction = engine().extractor.extract(images)
    if work.failed:
        return "failed"
    with get_database().session() as session:
        work.settle(session)
        run = session.get(Run, run_id)
        if not holds_lease(run, owner, Phase.EXTRACTING):
            return "skipped: run changed while extracting"
        assert run is not None
        record_extraction(session, run, extraction.profile, extraction.usage)
        release_lease(session, run_id, owner)
    forget_requeues(run_id)
    return "extracted"


def still_ours(run_id: int, owner: str) -> bool:
    """Read before every provider call: a stopped run, or one another worker took, makes none."""
    with get_database().session() as session:
        row = session.execute(
            select(Run.phase, Run.lease_owner).where(Run.id == run_id)
        ).one_or_none()
    return row is not None and row.phase == Phase.GENERATING and row.lease_owner == owner


def advance_run(run_id: int) -> str:
    """One iteration of a run (runs take turns), then its next turn goes to the back of the queue."""
    db = get_database()
    owner = worker_identity()
    with db.session() as session:
        run = claim(session, run_id, owner, Phase.GENERATING)
        if run is None:
            return SKIPPED
        try:
            profile = current_profile(run)
            settings = loop_settings(run)
            state = loop_state(session, run)
            shape = run.shape
        except (ValueError, ArithmeticError) as exc:  # a pydantic ValidationError is a ValueError
            log.exception("run %s cannot be read", run_id)
            record_failure(run, Stage.GENERATE, UNREADABLE, retryable=False)
            return f"failed: {type(exc).__name__}"
        intent, seed = run.intent, run.seed
        references = tuple(references_bytes(session, run.references))
        if settings.cap_reached(state.next_index):
            finish_run(run, Outcome.MAX_ITERATIONS, run.best_iteration_id)
            return "done"
        work = hold_for_turn(session, run, Stage.GENERATE)
        if work is None:
            return PAUSED
        gate = pending_note(run)
        note = (gate.id, gate.note) if gate is not None and gate.note else None
        run.status_note = f"Generating iteration {state.next_index + 1} of {run.max_iterations}"
    assert profile is not None

    def stopped() -> bool:
        return not still_ours(run_id, owner)

    def on_iteration(record: IterationRecord, _state: LoopState) -> None:
        with db.session() as session:
            work.settle(session)  # what the turn spent is recorded even if the run is not ours
            # the run's row is taken first (a conditional write), so a Stop racing this commit
            # either lands before it (and nothing is written) or after it
            if not lock_if_ours(session, run_id, owner, Phase.GENERATING):
                raise LeaseLost(f"run {run_id} is no longer ours")
            run = session.get(Run, run_id)
            assert run is not None
            session.refresh(run)
            commit_iteration(session, run, record)

    with model_calls(run_id, owner, Stage.GENERATE, work):
        if note is not None:
            state = _apply_note(run_id, owner, note, state, profile, intent, stopped)
        result = run_loop(
            intent,
            profile,
            cast(Generator, Announced(engine().generator, run_id)),
            cast(Critic, Announced(engine().critic, run_id)),
            settings,
            state=state,
            gate=lambda _record: None,  # a person decides, later
            on_iteration=on_iteration,
            seed=seed,
            references=references,
            max_steps=ITERATIONS_PER_TURN,
            should_stop=stopped,
            shape=shape,
        )
    set_step(run_id, None)  # the turn is over: whatever comes next says so itself
    if work.lost:
        return "stopped: the run was stopped or another worker has it"
    if work.failed:
        return "failed"
    with db.session() as session:
        release_lease(session, run_id, owner)
    forget_requeues(run_id)  # this turn finished: the sweeper's count for the run starts again
    if result.exit is LoopExit.TURN_OVER:
        enqueue_for(run_id, Phase.GENERATING)
        return "advanced one iteration; the next is queued"
    return "advanced"


def _apply_note(
    run_id: int,
    owner: str,
    note: tuple[int, str],
    state: LoopState,
    profile: TasteProfile,
    intent: str,
    stopped: Callable[[], bool],
) -> LoopState:
    """A person's gate note, applied to the next prompt and stored with what was done."""
    gate_id, words = note
    with stop_when(stopped):
        revision = revise_with_note(engine().critic, state.prompt, words, Brief(profile, intent))
    with get_database().session() as session:
        if not lock_if_ours(session, run_id, owner, Phase.GENERATING):
            raise LeaseLost(f"run {run_id} is no longer ours")
        run = session.get(Run, run_id)
        assert run is not None
        session.refresh(run)
        gate = session.get(Gate, gate_id)
        assert gate is not None
        record_note_effect(run, gate, revision)
    return state.with_prompt(revision.prompt)


def reextract_library_profile(library_profile_id: int) -> str:
    """The explicit "re-extract" action: a new version beside the old, never a replacement. It
    is held against the person's monthly cap and recorded in their spending like a run's turn."""
    db = get_database()
    with db.session() as session:
        entry = session.get(LibraryProfile, library_profile_id)
        if entry is None or not reextract_pending(entry):
            return "skipped: not requested"
        held = take_hold(session, entry.user, REEXTRACTION, costs_money=costs_money(engine().name))
        if held.problem is not None:
            record_reextract_failure(entry, f"Paused: {held.problem}")
            return PAUSED
        work = Work(hold=held.hold_id, account=entry.user.spending_key, kind=REEXTRACTION)
        images = references_bytes(session, entry.references)
    try:
        with metering(work.meter):
            extraction = engine().extractor.extract(images)
    except Exception as exc:  # noqa: BLE001 - shown on the library page, and can be asked again
        log.exception("re-extraction failed for library profile %s", library_profile_id)
        with db.session() as session:
            work.settle(session)
            entry = session.get(LibraryProfile, library_profile_id)
            if entry is not None:
                record_reextract_failure(entry, _reason(exc))
        return "failed"
    with db.session() as session:
        work.settle(session)
        entry = session.get(LibraryProfile, library_profile_id)
        if entry is None or not reextract_pending(entry):
            return "skipped: deleted or cancelled while extracting"
        add_reextracted(session, entry, extraction.profile)
    return "re-extracted"


UNREADABLE = (
    "This run's saved taste profile cannot be read any more (a value in it is out of range), "
    "so it cannot go on. Start a new run from your references or your library."
)
DATABASE_TROUBLE = (
    "The database could not store this step (another change to the same data happened at the "
    "same moment). Nothing was lost: try again."
)


def _reason(exc: BaseException) -> str:
    """What a person reads on the run: never the raw SQL and parameters of a database error
    (they are in the worker's log)."""
    if isinstance(exc, ConfigError):
        return f"The engine is not configured: {exc}"
    if isinstance(exc, SQLAlchemyError):
        return DATABASE_TROUBLE
    return str(exc) or type(exc).__name__


def _retryable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retryable", not isinstance(exc, ConfigError)))
