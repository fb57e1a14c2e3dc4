"""A critic's verdict on one image: the 0-10 scores in the declared order, the biggest gap in one
sentence, and the prompt to try next."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator, model_validator

from tasteloop.domain.profile import CRITIQUE_DIMENSIONS, DIMENSION_LABELS
from tasteloop.domain.subject import SubjectVerdict


class CritiqueResult(BaseModel):
    """A judge's verdict on one generated image against a taste profile."""

    score: float = Field(ge=0, le=10, description="overall match 0-10")
    breakdown: dict[str, float] = Field(
        description="score 0-10 for each of: " + ", ".join(CRITIQUE_DIMENSIONS)
    )
    reasoning: str = Field(description="one sentence naming the biggest gap")
    revised_prompt: str = Field(description="the full prompt to try next")
    # which parts of the intent the picture shows, judged apart from the taste; None from a
    # critic that could not look (the run then never converges, a person decides)
    subject: SubjectVerdict | None = None

    @field_validator("breakdown")
    @classmethod
    def _exact_dimensions(cls, value: dict[str, float]) -> dict[str, float]:
        keys = set(value)
        expected = set(CRITIQUE_DIMENSIONS)
        if keys != expected:
            missing = sorted(expected - keys)
            extra = sorted(keys - expected)
            raise ValueError(
                f"breakdown must have exactly {', '.join(CRITIQUE_DIMENSIONS)}"
                f" (missing: {missing or 'none'}, unexpected: {extra or 'none'})"
            )
        for key, score in value.items():
            if not 0 <= float(score) <= 10:
                raise ValueError(f"breakdown score for {key} must be within 0-10, got {score}")
        # Re-key in the declared order so storage and display never depend on model output order.
        return {dim: float(value[dim]) for dim in CRITIQUE_DIMENSIONS}

    @model_validator(mode="after")
    def _text_present(self) -> CritiqueResult:
        if not self.revised_prompt.strip():
            raise ValueError("revised_prompt must not be blank")
        return self

    def ordered_breakdown(self) -> list[tuple[str, float]]:
        return [(dim, self.breakdown[dim]) for dim in CRITIQUE_DIMENSIONS]


def merit(critique: CritiqueResult) -> float:
    """How one picture ranks against another (see `rank`)."""
    return rank(critique.subject, critique.score)


def rank(subject: SubjectVerdict | None, score: float) -> float:
    """First how much of the intent a picture shows, then its taste score: a picture showing the
    subject beats one that does not, whatever their taste. A subject nobody could check counts
    as not shown, so a failed critique never outranks a judged picture."""
    share = subject.shown_share if subject is not None else 0.0
    return 100.0 * share + score


def ordered_scores(breakdown: dict[str, float]) -> list[list[object]]:
    """A breakdown as stored and shown: [[dimension, score], ...] in the declared order."""
    return [[d, breakdown[d]] for d in CRITIQUE_DIMENSIONS]


def failed_critique(prompt: str, reason: str) -> CritiqueResult:
    """The record of a critic that could not judge: zero everywhere, same prompt next time."""
    return CritiqueResult(
        score=0.0,
        breakdown={dim: 0.0 for dim in CRITIQUE_DIMENSIONS},
        reasoning=f"Critic failed: {reason}",
        revised_prompt=prompt,
    )


def format_critique(index: int, result: CritiqueResult) -> str:
    """Human-readable critique; `index` is 0-based, shown 1-based."""
    lines = [f"Iteration {index + 1}: score {result.score:.1f}/10"]
    for dim, value in result.ordered_breakdown():
        lines.append(f"  {DIMENSION_LABELS[dim]:<20} {value:.1f}")
    if result.subject is not None:
        lines.append(f"Subject: {result.subject.summary()}")
    lines.append(f"Reasoning: {result.reasoning}")
    lines.append(f"Revised prompt: {result.revised_prompt}")
    return "\n".join(lines)
