"""A run's loop settings, their defaults and bounds, and what a score means under them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tasteloop.domain.critique import CritiqueResult

DEFAULT_MAX_ITERATIONS = 5
DEFAULT_THRESHOLD = 8.0
DEFAULT_GATE_LOW = 6.0
DEFAULT_CANDIDATES = 1
# The bounds every layer checks against (the form, the CLI, the templates' input limits).
MAX_ITERATIONS = 20
MAX_CANDIDATES = 4
MAX_GATE_NOTE = 500  # characters in a person's note at the gate
MAX_INTENT = 300  # characters in what a person asks to make


@dataclass(frozen=True)
class LoopSettings:
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    threshold: float = DEFAULT_THRESHOLD
    gate_low: float = DEFAULT_GATE_LOW
    candidates: int = DEFAULT_CANDIDATES

    def __post_init__(self) -> None:
        if self.gate_low >= self.threshold:
            raise ValueError(
                f"“Ask me from” ({self.gate_low:g}) must be lower than “Converge at” "
                f"({self.threshold:g}): you are asked about scores between the two"
            )
        if not 0 <= self.gate_low <= 10 or not 0 < self.threshold <= 10:
            raise ValueError("“Converge at” and “Ask me from” are scores from 0 to 10")
        if not 1 <= self.max_iterations <= MAX_ITERATIONS:
            raise ValueError(f"max iterations must be between 1 and {MAX_ITERATIONS}")
        if not 1 <= self.candidates <= MAX_CANDIDATES:
            raise ValueError(f"candidates per iteration must be between 1 and {MAX_CANDIDATES}")

    def cap_reached(self, next_index: int) -> bool:
        """No iteration is left once `next_index` (0-based) reaches the cap."""
        return next_index >= self.max_iterations


class Verdict(StrEnum):
    """What a critique means under the settings: the one rule the loop, the worker and the
    pages share."""

    CONVERGED = "converged"
    GATE = "gate"
    REVISE = "revise"


def score_band(score: float, settings: LoopSettings) -> Verdict:
    """What the taste score alone would mean (the colour a score is shown in)."""
    if score >= settings.threshold:
        return Verdict.CONVERGED
    if score >= settings.gate_low:
        return Verdict.GATE
    return Verdict.REVISE


def verdict(critique: CritiqueResult, settings: LoopSettings) -> Verdict:
    """Converged only when the taste score reaches the threshold and the picture shows every
    part of the intent. Close in taste opens the gate, unless a part that can be drawn is
    missing (a revision can bring it in); a part nobody can draw or check is the person's call
    at the gate."""
    band = score_band(critique.score, settings)
    subject = critique.subject
    if band is Verdict.CONVERGED and subject is not None and subject.present:
        return Verdict.CONVERGED
    if band is Verdict.REVISE or (subject is not None and subject.fixable):
        return Verdict.REVISE
    return Verdict.GATE
