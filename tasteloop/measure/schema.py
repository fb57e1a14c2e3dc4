"""The shape a profile's measurements must have for the measured critic to read them.

An imported profile file carries its measurements; without this check an arbitrary object is
stored, and every later critique of that run fails and scores 0.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tasteloop.measure.features import ALL_FEATURES, HISTOGRAM_BINS, HUE_BINS
from tasteloop.measure.style_network import VECTOR_SIZE

MAX_REFERENCES = 16
MAX_COLOURS = 16
MAX_AVOID = 8


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Number = Annotated[float, AfterValidator(_finite)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Colour(_Strict):
    hex: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    weight: Number = Field(ge=0, le=1)
    lab: list[Number] = Field(min_length=3, max_length=3)


def _exact_keys(value: dict[str, Any], expected: tuple[str, ...] | list[str]) -> None:
    missing = sorted(set(expected) - set(value))
    extra = sorted(set(value) - set(expected))
    if missing or extra:
        raise ValueError(f"missing: {missing or 'none'}; unexpected: {extra or 'none'}")


class ReferenceMeasurement(_Strict):
    features: dict[str, Number]
    palette: list[Colour] = Field(max_length=MAX_COLOURS)
    hue_histogram: list[Number] = Field(min_length=HUE_BINS, max_length=HUE_BINS)
    histograms: dict[str, list[Number]]
    style: list[Number] | None = Field(None, min_length=VECTOR_SIZE, max_length=VECTOR_SIZE)

    @field_validator("features")
    @classmethod
    def _every_feature(cls, value: dict[str, float]) -> dict[str, float]:
        _exact_keys(value, ALL_FEATURES)
        return value

    @field_validator("histograms")
    @classmethod
    def _every_histogram(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        _exact_keys(value, list(HISTOGRAM_BINS))
        for name, bins in HISTOGRAM_BINS.items():
            if len(value[name]) != bins:
                raise ValueError(f"the {name} histogram needs {bins} bins")
        return value


class FeatureStats(_Strict):
    mean: Number
    std: Number
    min: Number
    max: Number


class AvoidLimit(_Strict):
    key: str = Field(max_length=64)
    text: str = Field(max_length=300)
    limit: Number


class StyleSummary(_Strict):
    model: str = Field(max_length=200)
    # the references' style vectors averaged with the profile's weights
    mean: list[Number] = Field(min_length=VECTOR_SIZE, max_length=VECTOR_SIZE)


class MeasurementSummary(_Strict):
    version: int = Field(ge=1, le=1)
    references: list[ReferenceMeasurement] = Field(min_length=1, max_length=MAX_REFERENCES)
    stats: dict[str, FeatureStats]
    palette: list[Colour] = Field(max_length=MAX_COLOURS)
    avoid: list[AvoidLimit] = Field(max_length=MAX_AVOID)
    style: StyleSummary | None = None

    @field_validator("stats")
    @classmethod
    def _every_feature(cls, value: dict[str, FeatureStats]) -> dict[str, FeatureStats]:
        _exact_keys(value, ALL_FEATURES)
        return value

    @model_validator(mode="after")
    def _style_everywhere_or_nowhere(self) -> MeasurementSummary:
        measured = [r.style is not None for r in self.references]
        if self.style is not None and not all(measured):
            raise ValueError("a set style needs every reference's style vector")
        return self


def summary_problem(value: object) -> str | None:
    """Why `value` is not measurements the critic can read, in one line; None when it is."""
    try:
        MeasurementSummary.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "measurements"
        return f"{where}: {first['msg']}"
    return None
