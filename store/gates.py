"""Human gate decisions: applied exactly once, whichever tab or admin answers first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, joinedload

from store.models import Gate, Run, User, utcnow
from store.runs import cap_reached, copy_inputs, finish_run, painted_before
from store.states import OUTCOME_LABELS, GateDecision, Outcome, Phase
from tasteloop.domain.engine import NoteRevision
from tasteloop.domain.run_settings import MAX_GATE_NOTE
from tasteloop.domain.text import clean_text


@dataclass(frozen=True)
class GateOutcome:
    message: str
    resume: bool = False  # the run is generating again: enqueue its job after the commit
    new_run_id: int | None = None


class NoteError(ValueError):
    """A gate note we cannot take; the message is for the person."""


def clean_note(note: str | None) -> str | None:
    """The note as stored: hidden characters removed, None when blank; too long is an error."""
    cleaned = clean_text(note or "").strip()
    if len(cleaned) > MAX_GATE_NOTE:
        raise NoteError(
            f"Keep the note to {MAX_GATE_NOTE} characters or fewer ({len(cleaned)} given)."
        )
    return cleaned or None


def decide_gate(
    session: Session,
    run: Run,
    gate_id: int,
    decision: GateDecision,
    user: User,
    note: str | None = None,
) -> GateOutcome:
    """Apply a decision exactly once; a repeated or late decision changes nothing.

    A note goes with "keep iterating" only: the worker applies it to the next prompt.
    """
    note = clean_note(note) if decision is GateDecision.CONTINUE else None
    claimed = session.execute(
        update(Gate)
        .where(Gate.id == gate_id, Gate.run_id == run.id, Gate.decision.is_(None))
        .values(decision=decision.value, decided_by_id=user.id, decided_at=utcnow(), note=note)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        gate = session.get(Gate, gate_id)
        if gate is None or gate.run_id != run.id:
            return GateOutcome("That decision point does not exist.")
        session.refresh(gate)
        return GateOutcome(f"This gate was already decided ({gate.decision}); nothing changed.")
    gate = session.get(Gate, gate_id)
    assert gate is not None
    session.refresh(run)
    if decision is GateDecision.APPROVE:
        finish_run(run, Outcome.APPROVED, gate.iteration_id)
        return GateOutcome("Approved: this image is the result.")
    if decision is GateDecision.CONTINUE:
        if cap_reached(run):
            finish_run(run, Outcome.MAX_ITERATIONS, run.best_iteration_id)
            return GateOutcome("No iterations left: the best image is kept.")
        run.phase = Phase.GENERATING
        if note:
            run.status_note = "Continuing: applying your note to the revised prompt"
            return GateOutcome("Continuing with the revised prompt and your note.", resume=True)
        if painted_before(session, run):
            run.status_note = "Continuing with the same prompt, painted another way"
            return GateOutcome(
                "Continuing: the critic found nothing in the prompt to change, so the next "
                "picture paints the same prompt another way.",
                resume=True,
            )
        run.status_note = "Continuing with the critic's revised prompt"
        return GateOutcome("Continuing with the revised prompt.", resume=True)
    new_run = restart_run(session, run)
    return GateOutcome("Restarted: adjust the profile and intent.", new_run_id=new_run.id)


def pending_note(run: Run) -> Gate | None:
    """The last gate's note, when the run continued with one the worker has not applied yet."""
    gate = run.gates[-1] if run.gates else None
    if gate is None or gate.decision != GateDecision.CONTINUE.value:
        return None
    return gate if gate.note and gate.note_effect is None else None


def record_note_effect(run: Run, gate: Gate, revision: NoteRevision) -> None:
    """The note's revision becomes the next prompt, in the same transaction as its record."""
    gate.note_effect = {
        "prompt": revision.prompt,
        **revision.to_dict(),
        "usage": [u.to_dict() for u in revision.usage],
    }
    run.current_prompt = revision.prompt


def restart_run(session: Session, run: Run) -> Run:
    """End this run as restarted; a new run keeps the references and the extracted profile."""
    run.phase = Phase.RESTARTED
    run.outcome = Outcome.RESTARTED
    run.finished_at = utcnow()
    run.status_note = OUTCOME_LABELS[Outcome.RESTARTED]["status"]
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
    copy_inputs(session, run, fresh)
    return fresh


def _gates_with_run_and_iteration() -> Select[tuple[Gate]]:
    return select(Gate).options(
        joinedload(Gate.iteration), joinedload(Gate.run).joinedload(Run.user)
    )


def open_gates(session: Session) -> list[Gate]:
    """The admin review queue: every user's undecided gates, oldest first."""
    query = (
        _gates_with_run_and_iteration()
        .join(Run)
        .where(Gate.decision.is_(None), Run.phase == Phase.GATED)
        .order_by(Gate.opened_at, Gate.id)
    )
    return list(session.scalars(query))


def decided_gates() -> Select[tuple[Gate]]:
    """The decision log's gates, with who decided (the caller orders and pages it)."""
    return (
        _gates_with_run_and_iteration()
        .where(Gate.decision.is_not(None))
        .options(joinedload(Gate.decided_by))
    )
