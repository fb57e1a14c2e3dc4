"""The taste profile: what a set of reference images shares, and the person's style controls."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from tasteloop.domain.references import MAX_REFERENCES
from tasteloop.domain.text import clean_text
from tasteloop.measure.colour import named_hexes
from tasteloop.measure.schema import ImageMeasurement, Measurements, measurements_problem
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
MAX_WEIGHT = 2.0
MAX_SWATCHES = 12
SWATCH = re.compile(r"#[0-9a-f]{6}")


def _clean_items(items: list[str], what: str) -> list[str]:
    stripped = (clean_text(item).strip() for item in items if item)
    cleaned = [item for item in stripped if item]
    if len(cleaned) > MAX_ITEMS:
        raise ValueError(f"keep at most {MAX_ITEMS} {what}")
    if any(len(item) > MAX_ITEM_CHARS for item in cleaned):
        raise ValueError(f"keep each of the {what} to {MAX_ITEM_CHARS} characters or fewer")
    return cleaned


def strength_problem(value: float) -> str | None:
    if not (math.isfinite(value) and 0 <= value <= 1):
        return "style strength must be between 0 and 100 %"
    return None


def weight_problem(value: float) -> str | None:
    if not (math.isfinite(value) and 0 <= value <= MAX_WEIGHT):
        return f"each reference weight must be between 0 and {MAX_WEIGHT:g}"
    return None


def weights_problem(weights: list[float], references: int = 0) -> str | None:
    """What is wrong with a set of weights as a whole: their number, or none above 0."""
    if not 1 <= len(weights) <= MAX_REFERENCES:
        return f"give 1 to {MAX_REFERENCES} reference weights"
    if references and len(weights) != references:
        return f"give one weight per reference ({references} references, {len(weights)} weights)"
    if not any(w > 0 for w in weights):
        return "at least one reference needs a weight above 0"
    return None


class StyleControls(BaseModel):
    """A person's say in how the taste is applied: how strongly, and which references count most.

    `strength` (0-1) moves the offline generator between the picture's own style and the set's,
    and sets how strictly both critics hold an image to the learned style. `weights` (0-2, one
    per reference in upload order, None meaning all 1) weigh the set's style and order the
    references sent to a model; 0 leaves a reference out."""

    strength: float = 1.0
    weights: list[float] | None = None

    @field_validator("strength")
    @classmethod
    def _strength_range(cls, value: float) -> float:
        problem = strength_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("weights")
    @classmethod
    def _weights_range(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return None
        problem = next(filter(None, map(weight_problem, value)), None) or weights_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def weights_for(self, count: int) -> list[float]:
        return list(self.weights) if self.weights is not None else [1.0] * count


@dataclass(frozen=True)
class StyleProblem:
    """One thing wrong with style controls as typed: which control ("strength", "weights", or a
    reference's 0-based position), what kind of problem, and the rule in a sentence. Each
    surface (the form, the CLI) names the control in its own words."""

    control: str | int
    kind: str  # "not a number" | "out of range" | "none above 0" | "count"
    rule: str


def parse_style_controls(
    strength: str,
    weights: list[str],
    *,
    default: StyleControls | None = None,
    references: int = 0,
) -> tuple[StyleControls | None, list[StyleProblem]]:
    """Style controls as a person types them: a strength in percent (0-100, "80%" too) and one
    weight per reference (0-2); blank means the default's. Returns the controls, or what is
    wrong."""
    default = default or StyleControls()
    problems: list[StyleProblem] = []
    text = strength.strip().rstrip("%").strip()
    value = default.strength
    try:
        value = float(text) / 100 if text else default.strength
        rule = strength_problem(value)
        if rule:
            problems.append(StyleProblem("strength", "out of range", rule))
    except ValueError:
        problems.append(StyleProblem("strength", "not a number", "give a percentage from 0 to 100"))
    defaults = default.weights_for(len(weights))
    parsed: list[float] = []
    for i, raw in enumerate(weights):
        try:
            weight = float(raw) if raw.strip() else defaults[i]
        except ValueError:
            problems.append(
                StyleProblem(i, "not a number", f"give a number from 0 to {MAX_WEIGHT:g}")
            )
            continue
        rule = weight_problem(weight)
        if rule:
            problems.append(StyleProblem(i, "out of range", rule))
        parsed.append(weight)
    if not problems and parsed:
        rule = weights_problem(parsed, references)
        if rule:
            kind = "count" if any(w > 0 for w in parsed) else "none above 0"
            problems.append(StyleProblem("weights", kind, rule))
    if problems:
        return None, problems
    kept = None if all(w == 1.0 for w in parsed) else parsed
    return StyleControls(strength=value, weights=kept), []


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
    # the colours the references share, as swatches a person can edit (#rrggbb, heaviest first)
    palette: list[str] = Field(default_factory=list, description="3-8 colours as #rrggbb")
    # What was measured of the references (both engines attach it); critics compare against it.
    measurements: Measurements | None = None
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

    @field_validator("palette")
    @classmethod
    def _swatches(cls, value: list[str]) -> list[str]:
        swatches = list(dict.fromkeys(v.strip().lower() for v in value if v and v.strip()))
        if len(swatches) > MAX_SWATCHES:
            raise ValueError(f"keep at most {MAX_SWATCHES} colours in the palette")
        for swatch in swatches:
            if not SWATCH.fullmatch(swatch):
                raise ValueError(f"{swatch[:20]!r} is not a colour like #8a5a44")
        return swatches

    @field_validator(*SENTENCE_FIELDS)
    @classmethod
    def _sentence_not_blank(cls, value: str) -> str:
        value = clean_text(value, multiline=True).strip()
        if not value:
            raise ValueError("must not be blank")
        if len(value) > MAX_SENTENCE_CHARS:
            raise ValueError(f"keep it to {MAX_SENTENCE_CHARS} characters or fewer")
        return value

    @field_validator("measurements", mode="before")
    @classmethod
    def _measurements_shape(cls, value: Any) -> Any:
        if value is None or isinstance(value, Measurements):
            return value
        try:
            size = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError):
            raise ValueError("the measurements are not ones tasteloop made (not JSON)") from None
        if size > MAX_MEASUREMENTS_BYTES:
            raise ValueError(f"the measurements are over {MAX_MEASUREMENTS_BYTES // 1024} KB")
        problem = measurements_problem(value)
        if problem:
            raise ValueError(f"the measurements are not ones tasteloop made ({problem})")
        return value

    @field_serializer("measurements")
    def _stored_measurements(self, value: Measurements | None) -> dict[str, Any] | None:
        return value.stored() if value is not None else None

    @model_validator(mode="after")
    def _swatches_from_older_words(self) -> TasteProfile:
        """A profile from before swatches named its colours as hex codes in the palette
        sentence: those become its swatches."""
        if not self.palette:
            self.palette = named_hexes(self.palette_tendency)[:MAX_SWATCHES]
        return self

    @model_validator(mode="after")
    def _weights_fit_references(self) -> TasteProfile:
        """One weight per measured reference; the set's style is their weighted mean."""
        measured = self.measurements
        weights = self.style.weights
        refs = measured.references if measured else []
        if len(refs) > MAX_REFERENCES:
            raise ValueError(
                f"a taste has at most {MAX_REFERENCES} references ({len(refs)} measured)"
            )
        if weights is not None and refs and len(weights) != len(refs):
            raise ValueError(weights_problem(weights, len(refs)))
        if measured is not None and measured.style is not None:
            vectors = [r.style or [] for r in refs]  # every one has a vector (the schema says)
            mean = weighted_mean(vectors, self.style.weights_for(len(vectors)))
            if mean != measured.style.mean:  # its bare texture is another: measured anew
                style = measured.style.model_copy(update={"mean": mean, "bare_variety": None})
                self.measurements = measured.model_copy(update={"style": style})
        return self

    def with_style(self, controls: StyleControls) -> TasteProfile:
        """This profile under other controls (the set's mean is weighted again)."""
        return self.model_copy(update={"style": controls}).revalidated()

    def revalidated(self) -> TasteProfile:
        return TasteProfile.model_validate(self.model_dump(mode="json"))

    def same_taste(self, other: TasteProfile) -> bool:
        """The same words, colours and style controls: the taste a person reads and steers.
        The measurements are left aside (a re-measured set is still the same taste)."""
        kept = {"measurements"}
        return self.model_dump(mode="json", exclude=kept) == other.model_dump(
            mode="json", exclude=kept
        )

    def stored(self) -> dict[str, Any]:
        """The JSON a profile version keeps."""
        return self.model_dump(mode="json")

    def dimension_text(self, dimension: str) -> str:
        if dimension == "avoid_list":
            return "; ".join(self.avoid_list)
        return str(getattr(self, dimension))

    @property
    def weighted_references(self) -> list[ImageMeasurement]:
        """The measured references the person weighted above 0."""
        refs = self.measurements.references if self.measurements else []
        weights = self.style.weights_for(len(refs))
        return [r for r, w in zip(refs, weights, strict=False) if w > 0]
