"""Generate → critique → revise, headless.

The loop knows nothing about the web, the database or the queue: the generator, the critic,
the gate and the per-iteration callback are injected. It can stop at a human gate and be
resumed later from a `LoopState`, which is all a caller has to persist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import cast

from tasteloop.domain.engine import Brief, Critic, GenerationInputs, Generator, NoteRevision
from tasteloop.domain.outcomes import GateDecision, Outcome
from tasteloop.domain.profile import TasteProfile
from tasteloop.domain.run_settings import LoopSettings, Verdict, verdict
from tasteloop.domain.shape import SQUARE, PictureShape
from tasteloop.domain.style import emphasis, style_target, weighted_references
from tasteloop.iteration import IterationRecord, attempt, compare_with_best, run_iteration
from tasteloop.stopping import RunStopped, stop_when


class _Guarded:
    """A generator or critic that checks `should_stop` before every call to the provider."""

    def __init__(self, inner: object, should_stop: Callable[[], bool]) -> None:
        self._inner, self._should_stop = inner, should_stop

    def __getattr__(self, name: str) -> object:
        method = getattr(self._inner, name)

        def guarded(*args: object, **kwargs: object) -> object:
            if self._should_stop():
                raise RunStopped(name)
            with stop_when(self._should_stop):  # and before each provider call inside
                return method(*args, **kwargs)

        return guarded


class LoopExit(StrEnum):
    """Why `run_loop` returned."""

    FINISHED = "finished"  # the run has its result: `LoopResult.outcome` says how
    AT_GATE = "at_gate"  # the score opened the gate and nobody has decided yet
    TURN_OVER = "turn_over"  # `max_steps` iterations done: the caller queues the rest


@dataclass(frozen=True)
class LoopState:
    """Everything needed to resume: where to start, with what, and the best so far."""

    next_index: int
    prompt: str
    best_index: int | None = None
    best_score: float = -1.0
    # the best's rank (how much of the intent it shows, then its score); from the score alone
    # when not known (a state saved before subjects were judged)
    best_merit: float | None = None
    best_image: bytes | None = None
    # why the provider refused images beside the prompt; from then on the run sends text only
    inputs_refused: str | None = None
    # False when the best so far is there only because its critique failed (score 0)
    best_judged: bool = True
    # the person's gate notes so far, oldest first (the critic is told them: they lead)
    notes: tuple[str, ...] = ()
    # the picture a run of variations ("More like this") is made around: edited, where the
    # generator edits, until the run has a best of its own
    varied_image: bytes | None = None
    # how many iterations in a row just painted `prompt`: painted again with the same seeds it
    # would repeat the picture, so each repeat gets new seeds (`seed_for`)
    painted_before: int = 0

    def after(self, record: IterationRecord, next_prompt: str) -> LoopState:
        moved = replace(
            self,
            next_index=record.index + 1,
            prompt=next_prompt,
            inputs_refused=self.inputs_refused or record.inputs_refused,
            painted_before=self.painted_before + 1 if next_prompt == record.prompt else 0,
        )
        if not record.beats(self.best_rank):
            return moved
        return replace(
            moved,
            best_index=record.index,
            best_score=record.score,
            best_merit=record.merit,
            best_image=record.image,
            best_judged=record.critic_error is None,
        )

    def with_prompt(self, prompt: str) -> LoopState:
        """The next prompt replaced (a person's note applied): a changed prompt has not been
        painted yet."""
        if prompt == self.prompt:
            return self
        return replace(self, prompt=prompt, painted_before=0)

    def seed_for(self, seed: int, candidates: int) -> int:
        """The first seed of the next iteration: the run's own while the prompt changes, so the
        revision is all that changes the picture; new ones for a prompt painted again."""
        return seed + self.painted_before * candidates

    @property
    def best_rank(self) -> float:
        if self.best_merit is not None:
            return self.best_merit
        return 100.0 + self.best_score if self.best_index is not None else -1.0

    def generation_inputs(
        self, references: tuple[bytes, ...], profile: TasteProfile, shape: PictureShape = SQUARE
    ) -> GenerationInputs:
        """`references` are the person's, as uploaded; they go heaviest first, 0 left out."""
        style = style_target(profile)
        if self.inputs_refused:
            return GenerationInputs(style=style, shape=shape)
        return GenerationInputs(
            references=weighted_references(profile, references),
            edit_from=self.best_image or self.varied_image,
            style=style,
            emphasis=emphasis(profile, len(references)),
            shape=shape,
        )


@dataclass
class LoopResult:
    exit: LoopExit
    state: LoopState
    iterations: list[IterationRecord] = field(default_factory=list)
    outcome: Outcome | None = None  # when FINISHED
    final_index: int | None = None
    final_image: bytes | None = None
    final_score: float | None = None

    @property
    def converged(self) -> bool:
        return self.outcome is Outcome.CONVERGED

    @property
    def human_approved(self) -> bool:
        return self.outcome is Outcome.APPROVED


@dataclass(frozen=True)
class GateAnswer:
    """A decision at the gate; "continue" may carry a person's note for the next prompt."""

    decision: GateDecision
    note: str | None = None


# None: nobody has decided yet, so the loop ends at the gate (a person decides later).
GateCallback = Callable[[IterationRecord], GateAnswer | GateDecision | None]
IterationCallback = Callable[[IterationRecord, LoopState], None]
NoteCallback = Callable[[IterationRecord, str, NoteRevision], None]


def always_continue(_record: IterationRecord) -> GateAnswer:
    return GateAnswer(GateDecision.CONTINUE)


def run_loop(
    intent: str,
    profile: TasteProfile,
    generator: Generator,
    critic: Critic,
    settings: LoopSettings,
    *,
    state: LoopState,
    gate: GateCallback = always_continue,
    on_iteration: IterationCallback | None = None,
    seed: int = 0,
    references: tuple[bytes, ...] = (),
    on_note: NoteCallback | None = None,
    max_steps: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    shape: PictureShape = SQUARE,
) -> LoopResult:
    """Run from `state` until convergence, approval, a pause at the gate, or the cap.

    `references` are the user's images in upload order: the critic sees them, and the
    generator gets them as style references (with the best image so far, to edit) until the
    provider refuses images; both get them heaviest first, without those weighted 0.
    `max_steps` ends the call after that many iterations (TURN_OVER), so runs can take turns;
    `should_stop` is asked before every provider call and raises RunStopped when it says so;
    every picture is painted at `shape`.
    """
    for_critic = weighted_references(profile, references)
    if should_stop is not None:
        generator = cast(Generator, _Guarded(generator, should_stop))
        critic = cast(Critic, _Guarded(critic, should_stop))
    iterations: list[IterationRecord] = []
    for index in range(state.next_index, settings.max_iterations):
        if max_steps is not None and len(iterations) >= max_steps:
            return LoopResult(LoopExit.TURN_OVER, state, iterations)
        brief = Brief(profile, intent, for_critic, state.notes)
        record = run_iteration(
            index,
            state.prompt,
            brief=brief,
            generator=generator,
            critic=critic,
            candidates=settings.candidates,
            seed=state.seed_for(seed, settings.candidates),
            inputs=state.generation_inputs(references, profile, shape),
        )
        record = compare_with_best(
            replace(record, repeats=state.painted_before),
            state.best_image,
            state.best_judged,
            state.best_rank,
            critic,
            brief,
        )
        iterations.append(record)
        state = state.after(record, record.critique.revised_prompt)
        if on_iteration is not None:
            on_iteration(record, state)

        judged = verdict(record.critique, settings)
        if judged is Verdict.CONVERGED:
            return _finish(Outcome.CONVERGED, state, iterations, record)
        if judged is Verdict.GATE:
            answer = gate(record)
            if isinstance(answer, GateDecision):
                answer = GateAnswer(answer)
            if answer is None or answer.decision is GateDecision.RESTART:
                return LoopResult(LoopExit.AT_GATE, state, iterations)
            if answer.decision is GateDecision.APPROVE:
                return _finish(Outcome.APPROVED, state, iterations, record)
            if answer.note:
                revision = revise_with_note(critic, state.prompt, answer.note, brief)
                state = replace(
                    state.with_prompt(revision.prompt), notes=(*state.notes, answer.note)
                )
                if on_note is not None:
                    on_note(record, answer.note, revision)
    return LoopResult(
        LoopExit.FINISHED,
        state,
        iterations,
        outcome=Outcome.MAX_ITERATIONS,
        final_index=state.best_index,
        final_image=state.best_image,
        final_score=state.best_score if state.best_index is not None else None,
    )


NOTE_FALLBACK = "The person's direction, which wins over anything above: {note}"


def revise_with_note(critic: Critic, prompt: str, note: str, brief: Brief) -> NoteRevision:
    """The next prompt with a person's gate note applied; a failure keeps the note verbatim."""
    revision, error = attempt(lambda: critic.apply_note(prompt, note, brief))
    if revision is not None:
        return revision
    return NoteRevision(
        prompt=f"{prompt.rstrip()}\n{NOTE_FALLBACK.format(note=note)}",
        acted_on=("added to the prompt word for word",),
        error=error,
    )


def _finish(
    outcome: Outcome, state: LoopState, iterations: list[IterationRecord], record: IterationRecord
) -> LoopResult:
    return LoopResult(
        LoopExit.FINISHED,
        state,
        iterations,
        outcome=outcome,
        final_index=record.index,
        final_image=record.image,
        final_score=record.score,
    )
