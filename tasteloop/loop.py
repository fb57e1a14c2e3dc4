"""Generate → critique → revise, headless.

The loop knows nothing about the web, the database or the queue: the generator, the critic,
the gate and the per-iteration callback are injected. It can stop at a human gate and be
resumed later from a `LoopState`, which is all a caller has to persist.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import cast

from tasteloop.domain.engine import (
    CallUsage,
    Comparison,
    Critic,
    GeneratedImage,
    Generator,
    NoteRevision,
    PaintInputs,
    Preference,
)
from tasteloop.domain.profile import CritiqueResult, TasteProfile, failed_critique
from tasteloop.domain.style import emphasis, style_target, weighted_references
from tasteloop.stopping import RunStopped, stop_when

DEFAULT_THRESHOLD = 8.0
DEFAULT_GATE_LOW = 6.0
DEFAULT_MAX_ITERATIONS = 5
# The bounds every layer checks against (the form, the CLI, the templates' input limits).
MAX_ITERATIONS = 20
MAX_CANDIDATES = 4
MAX_GATE_NOTE = 500  # characters in a person's note at the gate


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


class GateDecision(StrEnum):
    APPROVE = "approve"
    CONTINUE = "continue"
    PAUSE = "pause"


class Verdict(StrEnum):
    """What a score means under the settings: the one rule the loop and the worker share."""

    CONVERGED = "converged"
    GATE = "gate"
    REVISE = "revise"


def verdict(score: float, settings: LoopSettings) -> Verdict:
    if score >= settings.threshold:
        return Verdict.CONVERGED
    if score >= settings.gate_low:
        return Verdict.GATE
    return Verdict.REVISE


class Outcome(StrEnum):
    CONVERGED = "converged"
    APPROVED = "approved"
    PAUSED = "paused"
    MAX_ITERATIONS = "max_iterations"
    YIELDED = "yielded"  # `max_steps` iterations done: the caller queues the rest (taking turns)


@dataclass(frozen=True)
class LoopSettings:
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    threshold: float = DEFAULT_THRESHOLD
    gate_low: float = DEFAULT_GATE_LOW
    candidates: int = 1

    def __post_init__(self) -> None:
        if self.gate_low >= self.threshold:
            raise ValueError(
                f"the gate low ({self.gate_low}) must be lower than the convergence "
                f"threshold ({self.threshold})"
            )
        if not 0 <= self.gate_low <= 10 or not 0 < self.threshold <= 10:
            raise ValueError("the threshold and gate low must lie within 0-10")
        if not 1 <= self.max_iterations <= MAX_ITERATIONS:
            raise ValueError(f"max iterations must be between 1 and {MAX_ITERATIONS}")
        if not 1 <= self.candidates <= MAX_CANDIDATES:
            raise ValueError(f"candidates per iteration must be between 1 and {MAX_CANDIDATES}")


@dataclass(frozen=True)
class Candidate:
    image: GeneratedImage
    critique: CritiqueResult
    critic_error: str | None
    generate_seconds: float
    critique_seconds: float
    usage: tuple[CallUsage, ...]
    evidence: str | None = None  # the critic's measurements behind its sentence


@dataclass(frozen=True)
class IterationRecord:
    index: int  # 0-based
    prompt: str
    candidates: tuple[Candidate, ...]
    chosen: int  # index into candidates
    # the pairwise verdict against the best so far, and whether this iteration is the new best
    comparison: Comparison | None = None
    replaces_best: bool | None = None  # None: the higher score wins

    def beats(self, best_score: float) -> bool:
        return self.replaces_best if self.replaces_best is not None else self.score > best_score

    @property
    def best(self) -> Candidate:
        return self.candidates[self.chosen]

    @property
    def image(self) -> bytes:
        return self.best.image.data

    @property
    def critique(self) -> CritiqueResult:
        return self.best.critique

    @property
    def score(self) -> float:
        return self.best.critique.score

    @property
    def critic_error(self) -> str | None:
        return self.best.critic_error

    @property
    def usage(self) -> tuple[CallUsage, ...]:
        compared = self.comparison.usage if self.comparison else ()
        return tuple(u for c in self.candidates for u in c.usage) + compared

    @property
    def inputs_refused(self) -> str | None:
        return next(
            (c.image.inputs_refused for c in self.candidates if c.image.inputs_refused), None
        )


@dataclass(frozen=True)
class LoopState:
    """Everything needed to resume: where to start, with what, and the best so far."""

    next_index: int
    prompt: str
    best_index: int | None = None
    best_score: float = -1.0
    best_image: bytes | None = None
    # why the provider refused images beside the prompt; from then on the run sends text only
    inputs_refused: str | None = None
    # False when the best so far is there only because its critique failed (score 0)
    best_judged: bool = True

    def after(self, record: IterationRecord, next_prompt: str) -> LoopState:
        refused = self.inputs_refused or record.inputs_refused
        if record.beats(self.best_score):
            return LoopState(
                record.index + 1,
                next_prompt,
                record.index,
                record.score,
                record.image,
                refused,
                record.critic_error is None,
            )
        return replace(
            self, next_index=record.index + 1, prompt=next_prompt, inputs_refused=refused
        )

    def paint_inputs(self, references: tuple[bytes, ...], profile: TasteProfile) -> PaintInputs:
        """`references` are the person's, as uploaded; they go heaviest first, 0 left out."""
        style = style_target(profile)
        if self.inputs_refused:
            return PaintInputs(style=style)
        return PaintInputs(
            references=weighted_references(profile, references),
            edit_from=self.best_image,
            style=style,
            emphasis=emphasis(profile, len(references)),
        )


@dataclass
class LoopResult:
    outcome: Outcome
    state: LoopState
    iterations: list[IterationRecord] = field(default_factory=list)
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


GateCallback = Callable[[IterationRecord], GateDecision | GateAnswer]
IterationCallback = Callable[[IterationRecord, LoopState], None]
NoteCallback = Callable[[IterationRecord, str, NoteRevision], None]


def always_continue(_record: IterationRecord) -> GateDecision:
    return GateDecision.CONTINUE


def _one_candidate(
    generator: Generator,
    critic: Critic,
    profile: TasteProfile,
    prompt: str,
    intent: str,
    seed: int,
    inputs: PaintInputs,
    references: tuple[bytes, ...],
) -> Candidate:
    started = time.perf_counter()
    image = generator.generate(prompt, seed=seed, inputs=inputs)  # a generator error propagates
    generated = time.perf_counter()
    critic_error: str | None = None
    critique_usage: tuple[CallUsage, ...] = ()
    evidence: str | None = None
    try:
        judged = critic.critique(image.data, profile, prompt, intent, references=references)
        result = judged.result
        critique_usage = judged.usage
        evidence = judged.evidence
    except Exception as exc:  # noqa: BLE001 - any critic failure is recorded, never fatal
        critic_error = f"{type(exc).__name__}: {exc}"[:500]
        result = failed_critique(prompt, critic_error)
    finished = time.perf_counter()
    return Candidate(
        image=image,
        critique=result,
        critic_error=critic_error,
        generate_seconds=generated - started,
        critique_seconds=finished - generated,
        usage=image.usage + critique_usage,
        evidence=evidence,
    )


def run_iteration(
    index: int,
    prompt: str,
    *,
    intent: str,
    profile: TasteProfile,
    generator: Generator,
    critic: Critic,
    candidates: int = 1,
    seed: int = 0,
    inputs: PaintInputs | None = None,
    references: tuple[bytes, ...] = (),
) -> IterationRecord:
    """Generate and judge `candidates` images for one prompt; keep all, choose the best."""
    inputs = inputs or PaintInputs()
    # The same seeds every iteration: the revised prompt is the only thing that changes.
    seeds = [seed + k for k in range(candidates)]

    def one(s: int) -> Candidate:
        return _one_candidate(generator, critic, profile, prompt, intent, s, inputs, references)

    if candidates == 1:
        results = [one(seeds[0])]
    else:
        with ThreadPoolExecutor(max_workers=candidates) as pool:
            # each candidate's thread carries the caller's context (its stop check)
            futures = [pool.submit(contextvars.copy_context().run, one, s) for s in seeds]
            results = [f.result() for f in futures]
    chosen = max(range(len(results)), key=lambda k: (results[k].critique.score, -k))
    return IterationRecord(index=index, prompt=prompt, candidates=tuple(results), chosen=chosen)


def compare_with_best(
    record: IterationRecord,
    state: LoopState,
    critic: Critic,
    profile: TasteProfile,
    intent: str,
    references: tuple[bytes, ...],
) -> IterationRecord:
    """Decide whether this iteration becomes the best so far.

    A critic that judges pairs (asked twice, images swapped) decides when both answers agree;
    a split keeps the best. Without a pairwise verdict the higher score wins, as always.
    """
    if state.best_image is None:
        return replace(record, replaces_best=True)
    if not state.best_judged:  # nothing to defend: a judged image beats an unjudged one
        return replace(record, replaces_best=True if record.critic_error is None else None)
    comparison: Comparison | None = None
    if record.critic_error is None:
        try:
            comparison = critic.compare(
                record.image, state.best_image, profile, intent, references=references
            )
        except Exception as exc:  # noqa: BLE001 - recorded; the scores decide instead
            comparison = Comparison(answers=(), error=f"{type(exc).__name__}: {exc}"[:500])
    if comparison is not None and comparison.error is None:
        replaces = comparison.agreed is Preference.CANDIDATE
    else:
        replaces = record.score > state.best_score
    return replace(record, comparison=comparison, replaces_best=replaces)


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
) -> LoopResult:
    """Run from `state` until convergence, approval, a pause at the gate, or the cap.

    `references` are the user's images in upload order: the critic sees them, and the
    generator gets them as style references (with the best image so far, to edit) until the
    provider refuses images; both get them heaviest first, without those weighted 0.
    `max_steps` ends the call after that many iterations (YIELDED), so runs can take turns;
    `should_stop` is asked before every provider call and raises RunStopped when it says so.
    """
    for_critic = weighted_references(profile, references)
    if should_stop is not None:
        generator = cast(Generator, _Guarded(generator, should_stop))
        critic = cast(Critic, _Guarded(critic, should_stop))
    iterations: list[IterationRecord] = []
    for index in range(state.next_index, settings.max_iterations):
        if max_steps is not None and len(iterations) >= max_steps:
            return LoopResult(Outcome.YIELDED, state, iterations)
        record = run_iteration(
            index,
            state.prompt,
            intent=intent,
            profile=profile,
            generator=generator,
            critic=critic,
            candidates=settings.candidates,
            seed=seed,
            inputs=state.paint_inputs(references, profile),
            references=for_critic,
        )
        record = compare_with_best(record, state, critic, profile, intent, for_critic)
        iterations.append(record)
        state = state.after(record, record.critique.revised_prompt)
        if on_iteration is not None:
            on_iteration(record, state)

        judged = verdict(record.score, settings)
        if judged is Verdict.CONVERGED:
            return _finish(Outcome.CONVERGED, state, iterations, record)
        if judged is Verdict.GATE:
            answer = gate(record)
            if isinstance(answer, GateDecision):
                answer = GateAnswer(answer)
            if answer.decision is GateDecision.APPROVE:
                return _finish(Outcome.APPROVED, state, iterations, record)
            if answer.decision is GateDecision.PAUSE:
                return LoopResult(Outcome.PAUSED, state, iterations)
            if answer.note:
                revision = revise_with_note(critic, state.prompt, answer.note, profile, intent)
                state = replace(state, prompt=revision.prompt)
                if on_note is not None:
                    on_note(record, answer.note, revision)
    return LoopResult(
        Outcome.MAX_ITERATIONS,
        state,
        iterations,
        final_index=state.best_index,
        final_image=state.best_image,
        final_score=state.best_score if state.best_index is not None else None,
    )


NOTE_FALLBACK = "The person's direction, which wins over anything above: {note}"


def revise_with_note(
    critic: Critic, prompt: str, note: str, profile: TasteProfile, intent: str
) -> NoteRevision:
    """The next prompt with a person's gate note applied; a failure keeps the note verbatim."""
    try:
        return critic.apply_note(prompt, note, profile, intent)
    except Exception as exc:  # noqa: BLE001 - the run goes on with the note as written
        return NoteRevision(
            prompt=f"{prompt.rstrip()}\n{NOTE_FALLBACK.format(note=note)}",
            acted_on=("added to the prompt word for word",),
            error=f"{type(exc).__name__}: {exc}"[:500],
        )


def _finish(
    outcome: Outcome, state: LoopState, iterations: list[IterationRecord], record: IterationRecord
) -> LoopResult:
    return LoopResult(
        outcome,
        state,
        iterations,
        final_index=record.index,
        final_image=record.image,
        final_score=record.score,
    )
