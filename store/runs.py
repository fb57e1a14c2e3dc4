"""Run state transitions. Each function is one transaction's worth of change.

Callers commit; callers enqueue jobs only after the commit, so a worker always finds the state
it was enqueued for. Uploads, blobs, leases and gates have modules of their own beside this one.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, load_only

from store.blobs import blob_bytes, save_blob
from store.leases import clear_lease, lease_expiry
from store.models import Gate, Iteration, ProfileVersion, Run, utcnow
from store.states import OUTCOME_LABELS, GateDecision, Outcome, Phase, Stage
from store.uploads import copy_references
from tasteloop.domain.critique import ordered_scores, rank
from tasteloop.domain.engine import CallUsage
from tasteloop.domain.profile import TasteProfile
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.run_settings import LoopSettings, Verdict, verdict
from tasteloop.domain.shape import SQUARE, PictureShape
from tasteloop.domain.subject import SubjectVerdict
from tasteloop.iteration import IterationRecord, candidate_record
from tasteloop.loop import LoopState
from tasteloop.measure.schema import Measurements

log = logging.getLogger(__name__)


def add_profile_version(
    session: Session, run: Run, source: str, data: dict[str, Any]
) -> ProfileVersion:
    """The next version of the run's profile; none is ever overwritten."""
    version = ProfileVersion(version=len(run.profiles) + 1, source=source, data=data)
    run.profiles.append(version)
    session.add(version)
    return version


def current_profile(run: Run) -> TasteProfile | None:
    """The run's profile as it stands: the confirmed one once the run is past confirm."""
    version = run.current_version
    return TasteProfile.model_validate(version.data) if version else None


def readable_profile(run: Run) -> TasteProfile | None:
    """The run's profile for a page to show; None when it cannot be read any more (a page
    that shows the run must still answer; the worker fails such a run, saying why)."""
    try:
        return current_profile(run)
    except ValueError:
        log.warning("run %s: its profile cannot be read", run.id, exc_info=True)
        return None


def extracted_measurements(run: Run) -> Measurements | None:
    """What was measured of the references, kept with the extracted profile."""
    found = run.extracted_version.data.get("measurements") if run.extracted_version else None
    return Measurements.model_validate(found) if found else None


def record_extraction(
    session: Session, run: Run, profile: TasteProfile, usage: tuple[CallUsage, ...]
) -> None:
    add_profile_version(session, run, "extracted", profile.stored())
    run.extract_usage = [u.to_dict() for u in usage]
    run.phase = Phase.CONFIRM
    run.status_note = "Taste extracted: read it, edit it, and say what to make"
    run.error = None
    run.failed_stage = None


def record_failure(run: Run, stage: Stage, message: str, retryable: bool) -> None:
    run.phase = Phase.FAILED
    run.failed_stage = stage
    run.error = message[:2000]
    run.error_retryable = retryable
    run.status_note = "Stopped by an error"
    clear_lease(run)


def confirm_run(
    session: Session,
    run: Run,
    profile: TasteProfile,
    intent: str,
    settings: LoopSettings,
    shape: PictureShape = SQUARE,
) -> None:
    """Save the confirmed profile as a new version and set the run up to generate, painting at
    `shape`."""
    carried = profile
    if carried.measurements is None:
        carried = profile.model_copy(update={"measurements": extracted_measurements(run)})
    add_profile_version(session, run, "confirmed", carried.stored())
    run.intent = intent
    run.style_strength = carried.style.strength
    run.reference_weights = carried.style.weights
    run.max_iterations = settings.max_iterations
    run.threshold = settings.threshold
    run.gate_low = settings.gate_low
    run.candidates = settings.candidates
    run.aspect, run.image_size = shape.aspect, shape.size
    run.current_prompt = initial_prompt(intent, carried)
    run.next_index = 0
    run.phase = Phase.GENERATING
    run.started_at = utcnow()
    run.status_note = "Queued for generation"


def copy_run(
    session: Session, run: Run, engine: str, models: dict[str, str], **columns: Any
) -> Run:
    """A new run of the same person at the confirm step with `run`'s references, extracted
    profile, loop settings and shape (`columns` override them); the old run is left as it is."""
    copied = {
        "intent": run.intent,
        "library_version_id": run.library_version_id,
        "max_iterations": run.max_iterations,
        "threshold": run.threshold,
        "gate_low": run.gate_low,
        "candidates": run.candidates,
        "aspect": run.aspect,
        "image_size": run.image_size,
    }
    fresh = Run(
        user_id=run.user_id, phase=Phase.CONFIRM, engine=engine, models=models, **copied | columns
    )
    session.add(fresh)
    session.flush()
    copy_inputs(session, run, fresh)
    return fresh


def copy_inputs(session: Session, run: Run, fresh: Run) -> None:
    """Give `fresh` (flushed) `run`'s references and what was extracted from them."""
    copy_references(session, run.references, fresh.id)
    if run.extracted_version is not None:
        add_profile_version(session, fresh, "extracted", run.extracted_version.data)


def run_again(session: Session, run: Run, intent: str, engine: str, models: dict[str, str]) -> Run:
    """A copy with a new intent and the taste as confirmed, at the confirm step for the person
    to check."""
    fresh = copy_run(
        session,
        run,
        engine,
        models,
        intent=intent,
        status_note="Run again: check the profile and what to make, then confirm",
    )
    current = run.current_version
    if current is not None and current is not run.extracted_version:
        add_profile_version(session, fresh, current.source, current.data)
    return fresh


def start_copy(
    session: Session,
    run: Run,
    intent: str,
    engine: str,
    models: dict[str, str],
    settings: LoopSettings | None = None,
    **columns: Any,
) -> Run:
    """A copy with `run`'s confirmed taste that goes straight to generating `intent`."""
    profile = current_profile(run)
    assert profile is not None
    fresh = copy_run(session, run, engine, models, **columns)
    confirm_run(session, fresh, profile, intent, settings or loop_settings(run), run.shape)
    return fresh


def vary(
    session: Session,
    run: Run,
    iteration: Iteration,
    count: int,
    engine: str,
    models: dict[str, str],
) -> Run:
    """More like this: a new run painting `count` variations of one of `run`'s pictures (its
    prompt with new seeds, one iteration of `count` candidates, judged with the same taste and
    settings), recording where it came from. A generator that edits (the gateway with
    TASTELOOP_REFINE=edit) is given the picture itself to edit (`LoopState.varied_image`)."""
    settings = LoopSettings(1, run.threshold, run.gate_low, count)
    seed = secrets.randbelow(2**31 - 1) + 1
    fresh = start_copy(
        session, run, run.intent, engine, models, settings, varied_from_id=iteration.id, seed=seed
    )
    fresh.current_prompt = iteration.prompt
    fresh.status_note = (
        f"Queued: {count} variations of iteration {iteration.index + 1} of the run {run.label}"
    )
    return fresh


def loop_settings(run: Run) -> LoopSettings:
    return LoopSettings(run.max_iterations, run.threshold, run.gate_low, run.candidates)


def cap_reached(run: Run) -> bool:
    """No iteration is left: the run ends with its best image."""
    return loop_settings(run).cap_reached(run.next_index)


def loop_state(session: Session, run: Run) -> LoopState:
    best = session.get(Iteration, run.best_iteration_id) if run.best_iteration_id else None
    return LoopState(
        next_index=run.next_index,
        prompt=run.current_prompt,
        best_index=best.index if best else None,
        best_score=best.score if best else -1.0,
        best_merit=iteration_merit(best) if best else -1.0,
        best_image=blob_bytes(session, best.image_sha) if best else None,
        inputs_refused=run.inputs_refused,
        best_judged=best.critic_error is None if best else True,
        notes=gate_notes(session, run),
        varied_image=blob_bytes(session, run.varied_from.image_sha) if run.varied_from else None,
        painted_before=painted_before(session, run),
    )


def painted_before(session: Session, run: Run) -> int:
    """How many of the run's latest iterations in a row painted its current prompt."""
    prompts = session.scalars(
        select(Iteration.prompt).where(Iteration.run_id == run.id).order_by(Iteration.index.desc())
    )
    repeats = 0
    for prompt in prompts:
        if prompt != run.current_prompt:
            break
        repeats += 1
    return repeats


def gate_notes(session: Session, run: Run) -> tuple[str, ...]:
    """The person's notes at this run's gates, oldest first (a restart is a new run)."""
    notes = session.scalars(
        select(Gate.note)
        .where(Gate.run_id == run.id, Gate.decision == GateDecision.CONTINUE.value)
        .order_by(Gate.id)
    )
    return tuple(note for note in notes if note)


def results(session: Session, runs: list[Run]) -> dict[int, tuple[str, float]]:
    """Each run's shown picture and its score: the result's once it has one (not the highest
    score: a person may approve a lower one), else the best so far."""
    chosen = {r.result_iteration_id: r for r in runs if r.result_iteration_id}
    iterations = session.scalars(
        select(Iteration)
        .where(Iteration.id.in_(list(chosen)))
        .options(
            load_only(Iteration.id, Iteration.image_sha, Iteration.score, Iteration.candidates)
        )
    )
    return {chosen[it.id].id: result_picture(chosen[it.id], it) for it in iterations}


def iteration_merit(iteration: Iteration) -> float:
    """A stored iteration's rank against a new one (tasteloop.domain.critique.merit)."""
    subject = SubjectVerdict.model_validate(iteration.subject) if iteration.subject else None
    return rank(subject, iteration.score)


def commit_iteration(session: Session, run: Run, record: IterationRecord) -> Phase:
    """Store one finished iteration and move the run on, all in the caller's transaction.

    Returns the run's new phase. The gate is opened here, in the same transaction as the
    iteration, so a worker killed right after cannot lose it.
    """
    candidates = [
        {
            "image_sha": save_blob(session, candidate.image.data),
            **candidate_record(candidate),
            "chosen": position == record.chosen_index,
        }
        for position, candidate in enumerate(record.candidates)
    ]
    best = session.get(Iteration, run.best_iteration_id) if run.best_iteration_id else None
    painted = record.chosen.image
    iteration = Iteration(
        run_id=run.id,
        index=record.index,
        prompt=record.prompt,
        image_sha=candidates[record.chosen_index]["image_sha"],
        score=record.score,
        breakdown=ordered_scores(record.critique.breakdown),
        reasoning=record.critique.reasoning,
        revised_prompt=record.critique.revised_prompt,
        critic_error=record.critic_error,
        candidates=candidates,
        chosen_candidate=record.chosen_index,
        generate_seconds=record.chosen.generate_seconds,
        critique_seconds=record.chosen.critique_seconds,
        usage=[u.to_dict() for u in record.usage],
        generation={
            "references_sent": painted.references_sent,
            "edited_from": best.index if painted.edited and best is not None else None,
            # a variation painted as an edit of the picture it varies (not a new seed alone)
            "edited_varied": painted.edited and best is None and run.varied_from_id is not None,
            "inputs_refused": painted.inputs_refused,
            # the prompt of the iteration before, painted again with new seeds
            "repeats": record.repeats,
        },
        comparison=record.comparison.to_dict() if record.comparison else None,
        evidence=record.chosen.evidence,
        subject=record.critique.subject.model_dump() if record.critique.subject else None,
    )
    session.add(iteration)
    session.flush()
    if best is None or record.beats(iteration_merit(best)):
        run.best_iteration_id = iteration.id
    if record.inputs_refused and not run.inputs_refused:
        run.inputs_refused = record.inputs_refused
    run.next_index = record.index + 1
    run.current_prompt = record.critique.revised_prompt
    run.lease_expires_at = lease_expiry()
    judged = verdict(record.critique, loop_settings(run))
    if judged is Verdict.CONVERGED:
        finish_run(run, Outcome.CONVERGED, iteration.id)
    elif judged is Verdict.GATE:
        session.add(Gate(run_id=run.id, iteration_id=iteration.id, score=record.score))
        run.phase = Phase.GATED
        run.status_note = f"Waiting for your decision on iteration {record.index + 1}"
        clear_lease(run)
    elif cap_reached(run):
        finish_run(run, Outcome.MAX_ITERATIONS, run.best_iteration_id)
    else:
        run.status_note = (
            f"Iteration {record.index + 1} scored {record.score:.1f}; generating "
            f"iteration {record.index + 2} of {run.max_iterations}"
        )
    return run.phase


def finish_run(run: Run, outcome: Outcome, final_iteration_id: int | None) -> None:
    run.phase = Phase.DONE
    run.outcome = outcome
    run.final_iteration_id = final_iteration_id
    run.finished_at = utcnow()
    clear_lease(run)
    run.status_note = OUTCOME_LABELS[outcome]["status"]


def choose_result(session: Session, run: Run, index: int, candidate: int | None = None) -> str:
    """The person makes iteration `index` (0-based) of a finished run, or one of its candidates
    (0-based), its result ("use this one"); the loop's own result stays recorded beside it.
    Returns what happened, for them."""
    iteration = session.scalar(
        select(Iteration).where(Iteration.run_id == run.id, Iteration.index == index)
    )
    if iteration is None:
        return "This run has no such iteration; nothing changed."
    if candidate is not None and not 0 <= candidate < len(iteration.candidates or []):
        return "That iteration has no such candidate; nothing changed."
    if candidate == iteration.chosen_candidate:
        candidate = None  # the iteration's own picture
    claimed = session.execute(
        update(Run)
        .where(Run.id == run.id, Run.phase == Phase.DONE)
        .values(chosen_iteration_id=iteration.id, chosen_candidate=candidate)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(run)
    if claimed != 1:
        return "Only a finished run's result can be chosen; nothing changed."
    which = (
        f"candidate {candidate + 1} of iteration {index + 1}"
        if candidate is not None
        else (f"iteration {index + 1}")
    )
    return f"{which[0].upper()}{which[1:]} is now this run's result, your choice."


def result_picture(run: Run, iteration: Iteration) -> tuple[str, float]:
    """The picture and score a run shows for its result iteration: the candidate the person
    chose, else the iteration's own."""
    k = run.chosen_candidate if run.chosen_iteration_id == iteration.id else None
    candidates = iteration.candidates or []
    if k is not None and 0 <= k < len(candidates):
        return candidates[k]["image_sha"], float(candidates[k]["score"])
    return iteration.image_sha, iteration.score


def stop_run(session: Session, run: Run) -> str:
    """End a generating run as stopped, keeping its iterations and best image.

    Exactly once, whoever asks first; the worker sees it before its next provider call.
    Returns what happened, for the person who asked.
    """
    label = OUTCOME_LABELS[Outcome.STOPPED]["status"]
    claimed = session.execute(
        update(Run)
        .where(Run.id == run.id, Run.phase == Phase.GENERATING)
        .values(
            phase=Phase.DONE,
            outcome=Outcome.STOPPED,
            final_iteration_id=Run.best_iteration_id,
            finished_at=utcnow(),
            lease_owner=None,
            lease_expires_at=None,
            status_note=label,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(run)
    if claimed == 1:
        return "Stopped. The call in flight, if any, finishes; nothing more is asked of the model."
    if run.outcome == Outcome.STOPPED:
        return "This run was already stopped; nothing changed."
    if run.phase == Phase.DONE:
        return "This run had already finished; nothing changed."
    return f"Only a generating run can be stopped (this one is {run.phase}); nothing changed."


def retry_failed(session: Session, run: Run) -> bool:
    """Put a failed run back to work at the stage that failed; False if it was not failed."""
    stage = run.failed_stage or Stage.GENERATE
    claimed = session.execute(
        update(Run)
        .where(Run.id == run.id, Run.phase == Phase.FAILED)
        .values(phase=stage.phase, error=None, status_note="Retrying")
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    session.refresh(run)
    return True


def usage_totals(run: Run) -> dict[str, float]:
    calls = list(run.extract_usage or []) + [u for it in run.iterations for u in (it.usage or [])]
    calls += [u for gate in run.gates for u in (gate.note_effect or {}).get("usage") or []]
    costs = [u.get("cost_usd") for u in calls if u.get("cost_usd") is not None]
    return {
        "calls": len(calls),
        "prompt_tokens": sum(int(u.get("prompt_tokens") or 0) for u in calls),
        "completion_tokens": sum(int(u.get("completion_tokens") or 0) for u in calls),
        "cost_usd": round(sum(costs), 6) if costs else 0.0,
        "has_cost": bool(costs),
    }
