"""The shape of measurements: one image's, and a reference set's (what a profile carries).

These models are what the code passes around (never a dict read by string keys), and they are
also the check an imported profile's measurements must pass: without it an arbitrary object
would be stored, and every later critique of that run would fail and score 0. Stored JSON is the
models' dump without empty fields, exactly as before they were models.
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

from tasteloop.measure.style_network import VECTOR_SIZE

PALETTE_FEATURES = (
    "lightness",
    "lightness_spread",
    "dark_fraction",
    "light_fraction",
    "chroma",
    "chroma_p90",
    "colourfulness",
    "warmth",
    "grey_fraction",
)
COMPOSITION_FEATURES = (
    "mass_x",
    "mass_y",
    "symmetry",
    "negative_space",
    "edge_density",
    "detail_centre",
)
TEXTURE_FEATURES = (
    "hf_energy",
    "grain",
    "sharpness",
    "flat_fraction",
    "straightness",
    "orientation_entropy",
)
EMOTION_FEATURES = ("pleasure", "arousal", "dominance", "contrast")
ALL_FEATURES = PALETTE_FEATURES + COMPOSITION_FEATURES + TEXTURE_FEATURES + EMOTION_FEATURES
# The normalised histograms every measurement carries, and their bin counts.
HISTOGRAM_BINS: dict[str, int] = {
    "ab": 36,
    "chroma": 8,
    "lightness": 10,
    "gradient": 10,
    "lbp1": 10,
    "lbp2": 10,
    "orientation": 8,
}
HUE_BINS = 12
MEASUREMENT_VERSION = 1
MAX_COLOURS = 16
MAX_AVOID = 8
# A bound on how much an untrusted file can make us read; how many references a taste may have
# (3-5) is the profile's rule (tasteloop.domain.references), checked there.
MAX_MEASURED_REFERENCES = 16
# The largest magnitude any stored number may have: style vectors, features and limits are all
# small, and a bound keeps every sum and mean of them finite (1e308 * 4 overflows).
MAX_MAGNITUDE = 1e6


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"must be within ±{MAX_MAGNITUDE:g}")
    return value


Number = Annotated[float, AfterValidator(_finite)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Colour(_Strict):
    hex: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    weight: Number = Field(ge=0, le=1)
    lab: tuple[Number, Number, Number]


def _exact_keys(value: dict[str, Any], expected: tuple[str, ...] | list[str]) -> None:
    missing = sorted(set(expected) - set(value))
    extra = sorted(set(value) - set(expected))
    if missing or extra:
        raise ValueError(f"missing: {missing or 'none'}; unexpected: {extra or 'none'}")


def _rounded(values: list[float] | tuple[float, ...], digits: int = 5) -> list[float]:
    return [round(float(v), digits) for v in values]


class PictureStats(_Strict):
    """What pictures have and non-pictures lack (tasteloop.measure.picture)."""

    contrast: Number  # the lightness's standard deviation, 0-1
    slope: Number  # the power spectrum's log-log slope
    orientation_spread: Number  # 0 one direction only, 1 every direction alike
    structure: Number  # the share of lightness variance between large masses, 0-1
    # how heavy-tailed neighbouring differences are (excess kurtosis; 0 for noise); None in
    # profiles measured before it was
    sparseness: Number | None = None
    # how well its regions hold together (Moran's I, about 0 for a texture or shuffled pieces);
    # None in profiles measured before it was
    coherence: Number | None = None
    # how far its structure reaches (the aggregated-variance slope: -2 for a texture, near 0
    # for structure at every scale); None in profiles measured before it was
    reach: Number | None = None
    # how much its parts differ in which way their edges run (0 the same everywhere, as in a
    # texture); None in profiles measured before it was
    variety: Number | None = None


class TraitStats(_Strict):
    """Traits a person names (tasteloop.measure.traits)."""

    light_from_above: Number  # L* of the top third minus the bottom third
    line_share: Number  # share of pixels in thin dark strokes
    broken_colour: Number  # colour change within a few pixels, relative to the colour's strength


class ImageMeasurement(_Strict):
    """What was measured of one image: features, dominant colours, histograms, learned style."""

    features: dict[str, Number]
    palette: list[Colour] = Field(max_length=MAX_COLOURS)
    # 12 hue bins, chroma-weighted, summing to 1 (or all 0 when the image is grey)
    hue_histogram: list[Number] = Field(min_length=HUE_BINS, max_length=HUE_BINS)
    # normalised histograms (each sums to 1): the critic's evidence of colour and mark-making
    histograms: dict[str, list[Number]]
    # the learned style vector (tasteloop.measure.style_network), when the network read the image
    style: list[Number] | None = Field(None, min_length=VECTOR_SIZE, max_length=VECTOR_SIZE)
    # measured since December 2026; a profile made before has none (the critic then uses only
    # what any picture must have)
    picture: PictureStats | None = None
    traits: TraitStats | None = None

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

    def rounded(self) -> ImageMeasurement:
        """As a profile stores it: five decimals."""
        return ImageMeasurement(
            features={k: round(v, 5) for k, v in self.features.items()},
            palette=self.palette,
            hue_histogram=_rounded(self.hue_histogram),
            histograms={k: _rounded(h) for k, h in self.histograms.items()},
            style=_rounded(self.style) if self.style is not None else None,
            picture=self.picture,
            traits=self.traits,
        )


class FeatureStats(_Strict):
    mean: Number
    std: Number
    min: Number
    max: Number


class AvoidLimit(_Strict):
    key: str = Field(max_length=64)
    text: str = Field(max_length=300)
    limit: Number


class SetStyle(_Strict):
    model: str = Field(max_length=200)
    # the references' style vectors averaged with the profile's weights
    mean: list[Number] = Field(min_length=VECTOR_SIZE, max_length=VECTOR_SIZE)
    # the direction variety of `mean` laid over nothing (tasteloop.measure.bare_style), measured
    # with the references; None when not (older profiles, or the mean weighted since)
    bare_variety: Number | None = None


class Measurements(_Strict):
    """A reference set's measurements: every reference, and what the set shares."""

    version: int = Field(ge=1, le=MEASUREMENT_VERSION)
    references: list[ImageMeasurement] = Field(min_length=1, max_length=MAX_MEASURED_REFERENCES)
    stats: dict[str, FeatureStats]
    palette: list[Colour] = Field(max_length=MAX_COLOURS)
    avoid: list[AvoidLimit] = Field(max_length=MAX_AVOID)
    style: SetStyle | None = None
    # what a describer (the gateway's vision model) claimed that the references measurably
    # lack, left out of the profile's words (trait_claims.py)
    left_out: list[str] = Field(default_factory=list, max_length=40)

    @field_validator("stats")
    @classmethod
    def _every_feature(cls, value: dict[str, FeatureStats]) -> dict[str, FeatureStats]:
        _exact_keys(value, ALL_FEATURES)
        return value

    @model_validator(mode="after")
    def _style_everywhere_or_nowhere(self) -> Measurements:
        measured = [r.style is not None for r in self.references]
        if self.style is not None and not all(measured):
            raise ValueError("a set style needs every reference's style vector")
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON a profile keeps (no empty fields: older profiles read the same)."""
        kept = self.model_dump(mode="json", exclude_none=True)
        if not kept["left_out"]:
            del kept["left_out"]  # older profiles read the same
        return kept

    def limit_of(self, key: str) -> float | None:
        return next((a.limit for a in self.avoid if a.key == key), None)


def measurements_problem(value: object) -> str | None:
    """Why `value` is not measurements the critic can read, in one line; None when it is."""
    try:
        Measurements.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "measurements"
        return f"{where}: {first['msg']}"
    return None
