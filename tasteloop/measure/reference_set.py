"""What a set of measured references shares: feature statistics, a pooled palette, the avoid
rules every reference keeps to, and the set's learned style."""

from __future__ import annotations

import numpy as np

from tasteloop.measure.avoid_rules import RULES
from tasteloop.measure.colour import lab_to_hex, lab_triple
from tasteloop.measure.features import FEATURE_FLOORS
from tasteloop.measure.schema import (
    MEASUREMENT_VERSION,
    AvoidLimit,
    Colour,
    FeatureStats,
    ImageMeasurement,
    Measurements,
    SetStyle,
)
from tasteloop.measure.style_network import MODEL_NAME, weighted_mean

MAX_AVOID_LIMITS = 5
PALETTE_SIZE = 5
MERGE_DELTA_E = 14  # dominant colours closer than this (CIELAB ΔE) are one colour of the set
# chroma (CIELAB C*ab) from which a colour reads as a colour rather than a grey, a brown or paper
ACCENT_CHROMA = 20.0


def feature_stats(measured: list[ImageMeasurement]) -> dict[str, FeatureStats]:
    stats: dict[str, FeatureStats] = {}
    for name in measured[0].features:
        values = np.array([m.features[name] for m in measured])
        stats[name] = FeatureStats(
            mean=round(float(values.mean()), 5),
            std=round(float(values.std()), 5),
            min=round(float(values.min()), 5),
            max=round(float(values.max()), 5),
        )
    return stats


def consistent(stats: dict[str, FeatureStats], name: str, tolerance: float = 4.0) -> bool:
    """A trait holds across the set when its range is within a few noticeable steps."""
    return stats[name].max - stats[name].min <= tolerance * FEATURE_FLOORS[name]


def salience(colour: Colour) -> float:
    """How much a colour of the set stands out to a person: its share of the pictures, raised
    for a strong colour (a small vermilion counts as much as a large grey three times its size),
    so the swatches keep the accents a person names and not only the grounds that fill most of
    the canvas."""
    return colour.weight * max(1.0, chroma(colour) / ACCENT_CHROMA)


def chroma(colour: Colour) -> float:
    return float(np.hypot(colour.lab[1], colour.lab[2]))


def pooled_palette(measured: list[ImageMeasurement], size: int = PALETTE_SIZE) -> list[Colour]:
    """Merge every reference's dominant colours and keep the most salient, heaviest first."""
    merged: list[tuple[np.ndarray, float]] = []
    share = 1.0 / len(measured)
    for m in measured:
        for colour in m.palette:
            lab = np.array(colour.lab, dtype=float)
            weight = colour.weight * share
            for i, (centre, w) in enumerate(merged):
                if np.linalg.norm(centre - lab) < MERGE_DELTA_E:
                    merged[i] = ((centre * w + lab * weight) / (w + weight), w + weight)
                    break
            else:
                merged.append((lab, weight))
    pooled = [Colour(hex=lab_to_hex(lab), weight=w, lab=lab_triple(lab)) for lab, w in merged]
    top = sorted(sorted(pooled, key=salience, reverse=True)[:size], key=lambda c: -c.weight)
    total = sum(c.weight for c in top)
    return [c.model_copy(update={"weight": round(c.weight / total, 3)}) for c in top]


def avoid_limits(stats: dict[str, FeatureStats]) -> list[AvoidLimit]:
    """The avoid rules whose extreme no reference comes near, with the limit each sets."""
    limits: list[AvoidLimit] = []
    for rule in RULES:
        low, high = stats[rule.feature].min, stats[rule.feature].max
        if rule.applies_to_set(low, high):
            limits.append(AvoidLimit(key=rule.key, text=rule.text, limit=rule.limit(low, high)))
    return limits[:MAX_AVOID_LIMITS]


def measure_set(measured: list[ImageMeasurement]) -> Measurements:
    """A profile's measurements from its references' (stored at five decimals)."""
    references = [m.rounded() for m in measured]
    stats = feature_stats(measured)
    vectors = [m.style for m in references if m.style is not None]
    style = None
    if len(vectors) == len(references):
        style = SetStyle(model=MODEL_NAME, mean=weighted_mean(vectors, [1.0] * len(vectors)))
    return Measurements(
        version=MEASUREMENT_VERSION,
        references=references,
        stats=stats,
        palette=pooled_palette(references),
        avoid=avoid_limits(stats),
        style=style,
    )
