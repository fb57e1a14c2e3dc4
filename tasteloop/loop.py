"""Generate → critique → revise, headless.

The loop knows nothing about the web, the database or the queue: the generator, the critic,
the gate and the per-iteration callback are injected. It can stop at a human gate and be
resumed later from a `LoopState`, which is all a caller has to persist.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from tasteloop.engine_types import CallUsage, Critic, GeneratedImage, Generator
from tasteloop.taste.profile import CritiqueResult, TasteProfile, failed_critique

DEFAULT_THRESHOLD = 8.0
DEFAULT_GATE_LOW = 6.0
DEFAULT_MAX_ITERATIONS = 5
# The bounds every layer checks against (the form, the CLI, the templates' input limits).
MAX_ITERATIONS = 20
MAX_CANDIDATES = 4


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


@dataclass(frozen=True)
class IterationRecord:
    index: int  # 0-based
    prompt: str
    candidates: tuple[Candidate, ...]
    chosen: int  # index into candidates

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
        return tuple(u for c in self.candidates for u in c.usage)


@dataclass(frozen=True)
class LoopState:
    """Everything needed to resume: where to start, with what, and the best so far."""

    next_index: int
    prompt: str
    best_index: int | None = None
    best_score: float = -1.0
    best_image: bytes | None = None

    def after(self, record: IterationRecord, next_prompt: str) -> LoopState:
        if record.score > self.best_score:
            return LoopState(
                record.index + 1, next_prompt, record.index, record.score, record.image
            )
        return LoopState(
            record.index + 1, next_prompt, self.best_index, self.best_score, self.best_image
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


GateCallback = Callable[[IterationRecord], GateDecision]
IterationCallback = Callable[[IterationRecord, LoopState], None]


def always_continue(_record: IterationRecord) -> GateDecision:
    return GateDecision.CONTINUE


def _one_candidate(
    generator: Generator,
    critic: Critic,
    profile: TasteProfile,
    prompt: str,
    intent: str,
    seed: int,
) -> Candidate:
    started = time.perf_counter()
    image = generator.generate(prompt, seed=seed)  # a generator error propagates
    generated = time.perf_counter()
    critic_error: str | None = None
    critique_usage: tuple[CallUsage, ...] = ()
    try:
        judged = critic.critique(image.data, profile, prompt, intent)
        result = judged.result
        critique_usage = judged.usage
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
) -> IterationRecord:
    """Generate and judge `candidates` images for one prompt; keep all, choose the best."""
    # The same seeds every iteration: the revised prompt is the only thing that changes.
    seeds = [seed + k for k in range(candidates)]
    if candidates == 1:
        results = [_one_candidate(generator, critic, profile, prompt, intent, seeds[0])]
    else:
        with ThreadPoolExecutor(max_workers=candidates) as pool:
            futures = [
                pool.submit(_one_candidate, generator, critic, profile, prompt, intent, s)
                for s in seeds
            ]
            results = [f.result() for f in futures]
    chosen = max(range(len(results)), key=lambda k: (results[k].critique.score, -k))
    return IterationRecord(index=index, prompt=prompt, candidates=tuple(results), chosen=chosen)


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
) -> LoopResult:
    """Run from `state` until convergence, approval, a pause at the gate, or the cap."""
    iterations: list[IterationRecord] = []
    for index in range(state.next_index, settings.max_iterations):
        record = run_iteration(
            index,
            state.prompt,
            intent=intent,
            profile=profile,
            generator=generator,
            critic=critic,
            candidates=settings.candidates,
            seed=seed,
        )
        iterations.append(record)
        state = state.after(record, record.critique.revised_prompt)
        if on_iteration is not None:
            on_iteration(record, state)

        judged = verdict(record.score, settings)
        if judged is Verdict.CONVERGED:
            return _finish(Outcome.CONVERGED, state, iterations, record)
        if judged is Verdict.GATE:
            decision = gate(record)
            if decision is GateDecision.APPROVE:
                return _finish(Outcome.APPROVED, state, iterations, record)
            if decision is GateDecision.PAUSE:
                return LoopResult(Outcome.PAUSED, state, iterations)
    return LoopResult(
        Outcome.MAX_ITERATIONS,
        state,
        iterations,
        final_index=state.best_index,
        final_image=state.best_image,
        final_score=state.best_score if state.best_index is not None else None,
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
