"""Run state transitions. Each function is one transaction's worth of change.

Callers commit; callers enqueue jobs only after the commit, so a worker always finds the state
it was enqueued for.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import (
    Blob,
    Gate,
    Iteration,
    LibraryReference,
    Phase,
    ProfileVersion,
    ReferenceImage,
    Run,
    User,
    utcnow,
)
from tasteloop.engine_types import CallUsage
from tasteloop.images import ImageError, reencode_upload, sniff_mime
from tasteloop.loop import IterationRecord, LoopSettings, LoopState, Verdict, verdict
from tasteloop.taste.profile import CRITIQUE_DIMENSIONS, TasteProfile, initial_prompt

MIN_REFERENCES = 3
MAX_REFERENCES = 5
DEFAULT_LEASE_SECONDS = 60


def lease_seconds() -> float:
    """How long a worker's claim on a run lasts without renewal (TASTELOOP_LEASE_SECONDS).

    Shorter leases recover a killed worker's run sooner; the fault-injection script uses 3 s.
    """
    return float(os.environ.get("TASTELOOP_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS)


class UploadError(ValueError):
    """Uploads that cannot become a run; `problems` name each file and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def save_blob(session: Session, data: bytes, width: int = 0, height: int = 0) -> str:
    """Store bytes once by SHA-256. Two workers may store the same image at the same moment
    (same prompt and seed in two runs), so the insert must tolerate the other one winning."""
    sha = hashlib.sha256(data).hexdigest()
    if session.get(Blob, sha) is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(Blob)
            .values(
                sha256=sha,
                mime_type=sniff_mime(data),
                size=len(data),
                width=width,
                height=height,
                data=data,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
    return sha


def validate_uploads(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes, int, int]]:
    """Check count and every file before anything is stored; re-encode the good ones."""
    problems: list[str] = []
    named = [(name or f"file {i + 1}", data) for i, (name, data) in enumerate(files)]
    if not MIN_REFERENCES <= len(named) <= MAX_REFERENCES:
        problems.append(
            f"Choose {MIN_REFERENCES} to {MAX_REFERENCES} reference images; you sent {len(named)}."
        )
    cleaned = []
    for name, data in named:
        try:
            clean, width, height = reencode_upload(data, name=name)
            cleaned.append((name, clean, width, height))
        except ImageError as exc:
            problems.append(f"{name}: {exc.reason}.")
    if problems:
        raise UploadError(problems)
    return cleaned


def create_run(
    session: Session,
    user: User,
    files: list[tuple[str, bytes]],
    engine: str,
    models: dict[str, str],
) -> Run:
    cleaned = validate_uploads(files)
    run = Run(
        user_id=user.id,
        phase=Phase.EXTRACTING,
        engine=engine,
        models=models,
        status_note="Queued for taste extraction",
    )
    session.add(run)
    session.flush()
    for position, (name, data, width, height) in enumerate(cleaned):
        sha = save_blob(session, data, width, height)
        session.add(
            ReferenceImage(
                run_id=run.id, position=position, blob_sha=sha, filename=_safe_name(name)
            )
        )
    return run


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:200] or "image"


def copy_references(
    session: Session, references: Iterable[ReferenceImage | LibraryReference], run_id: int
) -> None:
    """Give a run the same reference images (the blobs are shared, not copied)."""
    for ref in references:
        session.add(
            ReferenceImage(
                run_id=run_id, position=ref.position, blob_sha=ref.blob_sha, filename=ref.filename
            )
        )


def reference_bytes(session: Session, run: Run) -> list[bytes]:
    return [session.get(Blob, ref.blob_sha).data for ref in run.references]  # type: ignore[union-attr]


def latest_profile(run: Run) -> TasteProfile | None:
    if not run.profiles:
        return None
    return TasteProfile.model_validate(run.profiles[-1].data)


def extracted_profile(run: Run) -> TasteProfile | None:
    return TasteProfile.model_validate(run.profiles[0].data) if run.profiles else None


def record_extraction(
    session: Session, run: Run, profile: TasteProfile, usage: tuple[CallUsage, ...]
) -> None:
    session.add(
        ProfileVersion(
            run_id=run.id,
            version=len(run.profiles) + 1,
            source="extracted",
            data=profile.model_dump(mode="json"),
        )
    )
    run.extract_usage = [u.to_dict() for u in usage]
    run.phase = Phase.CONFIRM
    run.status_note = "Taste extracted: read it, edit it, and say what to make"
    run.error = None
    run.failed_stage = None


def record_failure(session: Session, run: Run, stage: str, message: str, retryable: bool) -> None:
    run.phase = Phase.FAILED
    run.failed_stage = stage
    run.error = message[:2000]
    run.error_retryable = retryable
    run.status_note = "Stopped by an error"
    run.lease_owner = None
    run.lease_expires_at = None


def confirm_run(
    session: Session, run: Run, profile: TasteProfile, intent: str, settings: LoopSettings
) -> None:
    """Save the confirmed profile as a new version and set the run up to generate."""
    carried = profile
    if carried.measurements is None and run.profiles:
        carried = profile.model_copy(
            update={"measurements": run.profiles[0].data.get("measurements")}
        )
    session.add(
        ProfileVersion(
            run_id=run.id,
            version=len(run.profiles) + 1,
            source="confirmed",
            data=carried.model_dump(mode="json"),
        )
    )
    run.intent = intent
    run.max_iterations = settings.max_iterations
    run.threshold = settings.convergence_threshold
    run.gate_low = settings.human_gate_low
    run.candidates = settings.candidates_per_iteration
    run.current_prompt = initial_prompt(intent, carried)
    run.next_index = 0
    run.phase = Phase.GENERATING
    run.started_at = utcnow()
    run.status_note = "Queued for generation"


def loop_settings(run: Run) -> LoopSettings:
    return LoopSettings(run.max_iterations, run.threshold, run.gate_low, run.candidates)


def loop_state(session: Session, run: Run) -> LoopState:
    best = session.get(Iteration, run.best_iteration_id) if run.best_iteration_id else None
    best_image = session.get(Blob, best.image_sha).data if best else None  # type: ignore[union-attr]
    return LoopState(
        next_index=run.next_index,
        prompt=run.current_prompt,
        best_index=best.index if best else None,
        best_score=best.score if best else -1.0,
        best_image=best_image,
    )


def commit_iteration(session: Session, run: Run, record: IterationRecord) -> str:
    """Store one finished iteration and move the run on, all in the caller's transaction.

    Returns the run's new phase. The gate is opened here, in the same transaction as the
    iteration, so a worker killed right after cannot lose it.
    """
    candidates = []
    for position, candidate in enumerate(record.candidates):
        sha = save_blob(session, candidate.image.data)
        candidates.append(
            {
                "image_sha": sha,
                "score": candidate.critique.score,
                "breakdown": [[d, candidate.critique.breakdown[d]] for d in CRITIQUE_DIMENSIONS],
                "reasoning": candidate.critique.reasoning,
                "critic_error": candidate.critic_error,
                "chosen": position == record.chosen,
            }
        )
    iteration = Iteration(
        run_id=run.id,
        index=record.index,
        prompt=record.prompt,
        image_sha=candidates[record.chosen]["image_sha"],
        score=record.score,
        breakdown=[[d, record.critique.breakdown[d]] for d in CRITIQUE_DIMENSIONS],
        reasoning=record.critique.reasoning,
        revised_prompt=record.critique.revised_prompt,
        critic_error=record.critic_error,
        candidates=candidates,
        chosen_candidate=record.chosen,
        generate_seconds=record.best.generate_seconds,
        critique_seconds=record.best.critique_seconds,
        usage=[u.to_dict() for u in record.usage],
    )
    session.add(iteration)
    session.flush()
    best = session.get(Iteration, run.best_iteration_id) if run.best_iteration_id else None
    if best is None or iteration.score > best.score:
        run.best_iteration_id = iteration.id
    run.next_index = record.index + 1
    run.current_prompt = record.critique.revised_prompt
    run.lease_expires_at = utcnow() + timedelta(seconds=lease_seconds())
    judged = verdict(record.score, loop_settings(run))
    if judged is Verdict.CONVERGED:
        finish_run(run, "converged", iteration.id)
    elif judged is Verdict.GATE:
        session.add(Gate(run_id=run.id, iteration_id=iteration.id, score=record.score))
        run.phase = Phase.GATED
        run.status_note = f"Waiting for your decision on iteration {record.index + 1}"
        run.lease_owner = None
        run.lease_expires_at = None
    elif run.next_index >= run.max_iterations:
        finish_run(run, "max_iterations", run.best_iteration_id)
    else:
        run.status_note = (
            f"Iteration {record.index + 1} of {run.max_iterations} scored {record.score:.1f}"
        )
    return run.phase


def finish_run(run: Run, outcome: str, final_iteration_id: int | None) -> None:
    run.phase = Phase.DONE
    run.outcome = outcome
    run.final_iteration_id = final_iteration_id
    run.finished_at = utcnow()
    run.lease_owner = None
    run.lease_expires_at = None
    run.status_note = {
        "converged": "Converged: the critic scored it at or above the threshold",
        "approved": "Approved by a person at the gate",
        "max_iterations": "Reached the iteration cap: the best image is kept",
    }[outcome]


# the worker lease -------------------------------------------------------------------------
def acquire_lease(session: Session, run_id: int, owner: str, phases: tuple[str, ...]) -> bool:
    """Claim a run for one worker; False when another live worker holds it."""
    now = utcnow()
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.phase.in_(phases))
        .where(or_(Run.lease_owner.is_(None), Run.lease_expires_at < now, Run.lease_owner == owner))
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds()))
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


def abandoned_runs(session: Session) -> list[int]:
    """Working runs whose worker stopped renewing its lease (killed, or the job was lost)."""
    now = utcnow()
    stale = session.scalars(
        select(Run.id).where(
            Run.phase.in_(Phase.WORKING),
            Run.lease_owner.is_not(None),
            Run.lease_expires_at < now,
        )
    )
    return list(stale)


# gate decisions ---------------------------------------------------------------------------
class Decision(StrEnum):
    APPROVE = "approve"
    CONTINUE = "continue"
    RESTART = "restart"


@dataclass(frozen=True)
class GateOutcome:
    applied: bool
    message: str
    enqueue_advance: bool = False
    new_run_id: int | None = None


def decide_gate(
    session: Session, run: Run, gate_id: int, decision: Decision, user: User
) -> GateOutcome:
    """Apply a decision exactly once; a repeated or late decision changes nothing."""
    claimed = session.execute(
        update(Gate)
        .where(Gate.id == gate_id, Gate.run_id == run.id, Gate.decision.is_(None))
        .values(decision=decision.value, decided_by_id=user.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        gate = session.get(Gate, gate_id)
        if gate is None or gate.run_id != run.id:
            return GateOutcome(False, "That decision point does not exist.")
        session.refresh(gate)
        return GateOutcome(
            False, f"This gate was already decided ({gate.decision}); nothing changed."
        )
    gate = session.get(Gate, gate_id)
    assert gate is not None
    session.refresh(run)
    if decision is Decision.APPROVE:
        finish_run(run, "approved", gate.iteration_id)
        return GateOutcome(True, "Approved: this image is the result.")
    if decision is Decision.CONTINUE:
        if run.next_index >= run.max_iterations:
            finish_run(run, "max_iterations", run.best_iteration_id)
            return GateOutcome(True, "No iterations left: the best image is kept.")
        run.phase = Phase.GENERATING
        run.status_note = "Continuing with the critic's revised prompt"
        return GateOutcome(True, "Continuing with the revised prompt.", enqueue_advance=True)
    new_run = restart_run(session, run)
    return GateOutcome(True, "Restarted: adjust the profile and intent.", new_run_id=new_run.id)


def restart_run(session: Session, run: Run) -> Run:
    """End this run as restarted; a new run keeps the references and the extracted profile."""
    run.phase = Phase.RESTARTED
    run.outcome = "restarted"
    run.finished_at = utcnow()
    run.status_note = "Restarted by the user"
    fresh = Run(
        user_id=run.user_id,
        phase=Phase.CONFIRM,
        engine=run.engine,
        models=run.models,
        intent=run.intent,
        restarted_from_id=run.id,
        status_note="Restarted: adjust the profile and intent",
    )
    session.add(fresh)
    session.flush()
    copy_references(session, run.references, fresh.id)
    if run.profiles:
        session.add(
            ProfileVersion(
                run_id=fresh.id, version=1, source="extracted", data=run.profiles[0].data
            )
        )
    return fresh


def retry_failed(session: Session, run: Run) -> str | None:
    """Put a failed run back to work; returns the stage to enqueue, or None if not failed."""
    claimed = session.execute(
        update(Run)
        .where(Run.id == run.id, Run.phase == Phase.FAILED)
        .values(
            phase=Phase.EXTRACTING if run.failed_stage == "extract" else Phase.GENERATING,
            error=None,
            status_note="Retrying",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    session.refresh(run)
    return "extract" if run.phase == Phase.EXTRACTING else "advance"


def usage_totals(run: Run) -> dict[str, float]:
    calls = list(run.extract_usage or []) + [u for it in run.iterations for u in (it.usage or [])]
    costs = [u.get("cost_usd") for u in calls if u.get("cost_usd") is not None]
    return {
        "calls": len(calls),
        "prompt_tokens": sum(int(u.get("prompt_tokens") or 0) for u in calls),
        "completion_tokens": sum(int(u.get("completion_tokens") or 0) for u in calls),
        "cost_usd": round(sum(costs), 6) if costs else 0.0,
        "has_cost": bool(costs),
    }
