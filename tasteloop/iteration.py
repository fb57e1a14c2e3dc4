"""One iteration: generate the candidates, judge each, choose one, and decide against the best
so far whether it becomes the new best."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar

from tasteloop.domain.critique import CritiqueResult, failed_critique, merit, ordered_scores
from tasteloop.domain.engine import (
    Brief,
    CallUsage,
    Comparison,
    Critic,
    GeneratedImage,
    GenerationInputs,
    Generator,
    Preference,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate:
    image: GeneratedImage
    critique: CritiqueResult
    critic_error: str | None
    generate_seconds: float
    critique_seconds: float
    usage: tuple[CallUsage, ...]
    evidence: str | None = None  # the critic's measurements behind its sentence


def attempt(call: Callable[[], T]) -> tuple[T | None, str | None]:
    """The call's result, or None and why it failed: a critic's failure is recorded and the run
    goes on (a generator's is not, so generation is never wrapped in this)."""
    try:
        return call(), None
    except Exception as exc:  # noqa: BLE001 - any failure of a critic is recorded, never fatal
        return None, f"{type(exc).__name__}: {exc}"[:500]


def candidate_record(candidate: Candidate) -> dict[str, object]:
    """A candidate's judgement as stored and written to run.json (its image named beside it)."""
    return {
        "score": candidate.critique.score,
        "breakdown": ordered_scores(candidate.critique.breakdown),
        "reasoning": candidate.critique.reasoning,
        "critic_error": candidate.critic_error,
        "subject": subject.model_dump() if (subject := candidate.critique.subject) else None,
    }


@dataclass(frozen=True)
class IterationRecord:
    index: int  # 0-based
    prompt: str
    candidates: tuple[Candidate, ...]
    chosen_index: int  # which of the candidates is this iteration's image
    # the pairwise verdict against the best so far, and whether this iteration is the new best
    comparison: Comparison | None = None
    replaces_best: bool | None = None  # None: the higher merit wins
    # how many iterations just before it painted this same prompt: it was painted with new seeds
    repeats: int = 0

    def beats(self, best_merit: float) -> bool:
        return self.replaces_best if self.replaces_best is not None else self.merit > best_merit

    @property
    def merit(self) -> float:
        return merit(self.critique)

    @property
    def chosen(self) -> Candidate:
        return self.candidates[self.chosen_index]

    @property
    def image(self) -> bytes:
        return self.chosen.image.data

    @property
    def critique(self) -> CritiqueResult:
        return self.chosen.critique

    @property
    def score(self) -> float:
        return self.chosen.critique.score

    @property
    def critic_error(self) -> str | None:
        return self.chosen.critic_error

    @property
    def usage(self) -> tuple[CallUsage, ...]:
        compared = self.comparison.usage if self.comparison else ()
        return tuple(u for c in self.candidates for u in c.usage) + compared

    @property
    def inputs_refused(self) -> str | None:
        return next(
            (c.image.inputs_refused for c in self.candidates if c.image.inputs_refused), None
        )


def _one_candidate(
    generator: Generator,
    critic: Critic,
    brief: Brief,
    prompt: str,
    seed: int,
    inputs: GenerationInputs,
) -> Candidate:
    started = time.perf_counter()
    image = generator.generate(prompt, seed=seed, inputs=inputs)  # a generator error propagates
    generated = time.perf_counter()
    judged, critic_error = attempt(lambda: critic.critique(image, prompt, brief))
    finished = time.perf_counter()
    return Candidate(
        image=image,
        critique=judged.result if judged else failed_critique(prompt, critic_error or ""),
        critic_error=critic_error,
        generate_seconds=generated - started,
        critique_seconds=finished - generated,
        usage=image.usage + (judged.usage if judged else ()),
        evidence=judged.evidence if judged else None,
    )


def run_iteration(
    index: int,
    prompt: str,
    *,
    brief: Brief,
    generator: Generator,
    critic: Critic,
    candidates: int = 1,
    seed: int = 0,
    inputs: GenerationInputs | None = None,
) -> IterationRecord:
    """Generate and judge `candidates` images for one prompt; keep all, choose the best.
    `brief.references` are the critic's (heaviest first, none weighted 0)."""
    inputs = inputs or GenerationInputs()
    # The same seeds every iteration: the revised prompt is the only thing that changes.
    seeds = [seed + k for k in range(candidates)]

    def one(s: int) -> Candidate:
        return _one_candidate(generator, critic, brief, prompt, s, inputs)

    if candidates == 1:
        results = [one(seeds[0])]
    else:
        with ThreadPoolExecutor(max_workers=candidates) as pool:
            # each candidate's thread carries the caller's context (its stop check)
            futures = [pool.submit(contextvars.copy_context().run, one, s) for s in seeds]
            results = [f.result() for f in futures]
    chosen = max(range(len(results)), key=lambda k: (merit(results[k].critique), -k))
    return IterationRecord(
        index=index, prompt=prompt, candidates=tuple(results), chosen_index=chosen
    )


def compare_with_best(
    record: IterationRecord,
    best_image: bytes | None,
    best_judged: bool,
    best_merit: float,
    critic: Critic,
    brief: Brief,
) -> IterationRecord:
    """Decide whether this iteration becomes the best so far.

    A critic that judges pairs (asked twice, images swapped) decides when both answers agree;
    a split keeps the best. Without a pairwise verdict the higher score wins, as always.
    """
    if best_image is None:
        return replace(record, replaces_best=True)
    if not best_judged:  # nothing to defend: a judged image beats an unjudged one
        return replace(record, replaces_best=True if record.critic_error is None else None)
    comparison: Comparison | None = None
    if record.critic_error is None:
        compared, error = attempt(lambda: critic.compare(record.image, best_image, brief))
        comparison = compared if error is None else Comparison(answers=(), error=error)
    if comparison is not None and comparison.error is None:
        replaces = comparison.agreed is Preference.CANDIDATE
    else:
        replaces = record.merit > best_merit
    return replace(record, comparison=comparison, replaces_best=replaces)
