"""The taste domain: what a taste is, what a critique says, and how both become text."""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from tasteloop.domain.text import clean_text
from tasteloop.measure.schema import MAX_REFERENCES, summary_problem
from tasteloop.measure.style_network import weighted_mean

CRITIQUE_DIMENSIONS: tuple[str, ...] = (
    "palette_tendency",
    "compositional_style",
    "emotional_register",
    "texture_feel",
    "avoid_list",
)

# The profile's one-sentence fields, in the order they are shown and edited.
SENTENCE_FIELDS: tuple[str, ...] = CRITIQUE_DIMENSIONS[:4]

DIMENSION_LABELS: dict[str, str] = {
    "palette_tendency": "Palette",
    "compositional_style": "Composition",
    "emotional_register": "Emotional register",
    "texture_feel": "Texture / medium",
    "avoid_list": "Avoid-list",
}


# Sizes a profile may have, wherever it comes from (a model, the form, an imported file, the
# CLI): one check, so a hostile file cannot make every later step slow or every page huge.
MAX_ITEMS = 8
MAX_ITEM_CHARS = 300
MAX_SENTENCE_CHARS = 2000
MAX_MEASUREMENTS_BYTES = 512 * 1024


def _clean_items(items: list[str], what: str) -> list[str]:
    stripped = (clean_text(item).strip() for item in items if item)
    cleaned = [item for item in stripped if item]
    if len(cleaned) > MAX_ITEMS:
        raise ValueError(f"keep at most {MAX_ITEMS} {what}")
    if any(len(item) > MAX_ITEM_CHARS for item in cleaned):
        raise ValueError(f"keep each of the {what} to {MAX_ITEM_CHARS} characters or fewer")
    return cleaned


MAX_WEIGHT = 2.0


class StyleControls(BaseModel):
    """A person's say in how the taste is applied: how strongly, and which references count most.

    `strength` (0-1) moves the offline painter between the picture's own style and the set's,
    and sets how strictly both critics hold an image to the learned style. `weights` (0-2, one
    per reference in upload order, None meaning all 1) weigh the set's style and order the
    references sent to a model; 0 leaves a reference out."""

    strength: float = 1.0
    weights: list[float] | None = None

    @field_validator("strength")
    @classmethod
    def _strength_range(cls, value: float) -> float:
        if not (math.isfinite(value) and 0 <= value <= 1):
            raise ValueError("style strength must be between 0 and 100 %")
        return value

    @field_validator("weights")
    @classmethod
    def _weights_range(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return None
        if not 1 <= len(value) <= MAX_REFERENCES:
            raise ValueError(f"give 1 to {MAX_REFERENCES} reference weights")
        if any(not (math.isfinite(w) and 0 <= w <= MAX_WEIGHT) for w in value):
            raise ValueError(f"each reference weight must be between 0 and {MAX_WEIGHT:g}")
        if not any(w > 0 for w in value):
            raise ValueError("at least one reference needs a weight above 0")
        return value

    def weights_for(self, count: int) -> list[float]:
        return list(self.weights) if self.weights is not None else [1.0] * count


class TasteProfile(BaseModel):
    """What a set of reference images shares, in words an image model can follow."""

    principles: list[str] = Field(
        description="3-5 overarching principles that hold across every reference image"
    )
    palette_tendency: str = Field(description="one precise sentence about the shared palette")
    compositional_style: str = Field(description="one precise sentence about shared composition")
    emotional_register: str = Field(description="one precise sentence about the shared mood")
    texture_feel: str = Field(description="one precise sentence about texture and medium")
    avoid_list: list[str] = Field(description="3-5 things the images never do")
    # Numeric evidence from the offline measurer; kept so a critic can compare against it.
    measurements: dict[str, Any] | None = Field(default=None, exclude=False)
    style: StyleControls = Field(default_factory=StyleControls)

    @field_validator("principles")
    @classmethod
    def _principles_not_empty(cls, value: list[str]) -> list[str]:
        cleaned = _clean_items(value, "principles")
        if not cleaned:
            raise ValueError("a taste profile needs at least one principle")
        return cleaned

    @field_validator("avoid_list")
    @classmethod
    def _clean_avoid(cls, value: list[str]) -> list[str]:
        return _clean_items(value, "avoid-list items")

    @field_validator(*SENTENCE_FIELDS)
    @classmethod
    def _sentence_not_blank(cls, value: str) -> str:
        value = clean_text(value, multiline=True).strip()
        if not value:
            raise ValueError("must not be blank")
        if len(value) > MAX_SENTENCE_CHARS:
            raise ValueError(f"keep it to {MAX_SENTENCE_CHARS} characters or fewer")
        return value

    @field_validator("measurements")
    @classmethod
    def _measurements_shape(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        if len(json.dumps(value, allow_nan=False)) > MAX_MEASUREMENTS_BYTES:
            raise ValueError(f"the measurements are over {MAX_MEASUREMENTS_BYTES // 1024} KB")
        problem = summary_problem(value)
        if problem:
            raise ValueError(f"the measurements are not ones tasteloop made ({problem})")
        return value

    @model_validator(mode="after")
    def _weights_fit_references(self) -> TasteProfile:
        """One weight per measured reference; the set's style is their weighted mean."""
        refs = (self.measurements or {}).get("references") or []
        weights = self.style.weights
        if weights is not None and refs and len(weights) != len(refs):
            raise ValueError(
                f"give one weight per reference ({len(refs)} references, {len(weights)} weights)"
            )
        set_style = (self.measurements or {}).get("style")
        if set_style is not None:
            vectors = [r["style"] for r in refs]
            mean = weighted_mean(vectors, self.style.weights_for(len(vectors)))
            if mean != set_style.get("mean"):
                self.measurements = {**self.measurements, "style": {**set_style, "mean": mean}}  # type: ignore[dict-item]
        return self

    def with_style(self, controls: StyleControls) -> TasteProfile:
        """This profile under other controls (the set's mean is weighted again)."""
        return TasteProfile.model_validate({**self.model_dump(), "style": controls.model_dump()})

    def dimension_text(self, dimension: str) -> str:
        if dimension == "avoid_list":
            return "; ".join(self.avoid_list)
        return getattr(self, dimension)


class CritiqueResult(BaseModel):
    """A judge's verdict on one generated image against a taste profile."""

    score: float = Field(ge=0, le=10, description="overall match 0-10")
    breakdown: dict[str, float] = Field(
        description="score 0-10 for each of: " + ", ".join(CRITIQUE_DIMENSIONS)
    )
    reasoning: str = Field(description="one sentence naming the biggest gap")
    revised_prompt: str = Field(description="the full prompt to try next")

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


def failed_critique(prompt: str, reason: str) -> CritiqueResult:
    """The record of a critic that could not judge: zero everywhere, same prompt next time."""
    return CritiqueResult(
        score=0.0,
        breakdown={dim: 0.0 for dim in CRITIQUE_DIMENSIONS},
        reasoning=f"Critic failed: {reason}",
        revised_prompt=prompt,
    )


def initial_prompt(intent: str, profile: TasteProfile) -> str:
    """The first generation prompt: the user's intent constrained by every profile field."""
    return (
        f"{intent.strip()}. "
        f"Principles: {'; '.join(profile.principles)}. "
        f"Palette: {profile.palette_tendency} "
        f"Composition: {profile.compositional_style} "
        f"Mood: {profile.emotional_register} "
        f"Texture: {profile.texture_feel} "
        f"Avoid: {'; '.join(profile.avoid_list)}."
    )


def format_critique(index: int, result: CritiqueResult) -> str:
    """Human-readable critique; `index` is 0-based, shown 1-based."""
    lines = [f"Iteration {index + 1}: score {result.score:.1f}/10"]
    for dim, value in result.ordered_breakdown():
        lines.append(f"  {DIMENSION_LABELS[dim]:<20} {value:.1f}")
    lines.append(f"Reasoning: {result.reasoning}")
    lines.append(f"Revised prompt: {result.revised_prompt}")
    return "\n".join(lines)
