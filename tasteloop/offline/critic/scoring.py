"""Scoring an image against measured references, one dimension at a time.

- The image is compared with each reference; the nearest reference (by the weighted total
  below) is the one it is judged against, because a taste set varies inside and an image
  belongs to it when it could stand beside one of its members.
- palette: colour distribution (the a*b* histogram's total-variation distance, the chroma
  histogram's earth mover's distance) and how well the profile's named hex colours are present
  (ΔE to the image's dominant colours).
- compositional_style: gradient-orientation histogram plus density, quiet area and symmetry.
- emotional_register: pleasure/arousal/dominance and contrast.
- texture_feel: local binary patterns at two radii and the gradient-magnitude histogram.
- avoid_list: each avoid item with a measurable rule costs points when the image shows it.
- the learned style (1 - cosine to the set's weighted style vector, corrected for how much more
  or less generic the image's style is than the references': see measure/generic_style.py) is
  evidence for texture and palette, as far as the person's style strength asks.
Overall = 0.15 palette + 0.05 composition + 0.05 emotion + 0.70 texture + 0.05 avoid
(texture and the learned style are what best separate one taste from another on the shared
sets; see BENCHMARKS.md for the leave-one-out figures behind these weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tasteloop.domain.profile import CRITIQUE_DIMENSIONS, TasteProfile
from tasteloop.measure.avoid_rules import rules_for_text
from tasteloop.measure.colour import HEX_COLOUR, hex_to_lab
from tasteloop.measure.features import FEATURE_FLOORS
from tasteloop.measure.histograms import histogram_distance, ordinal_histogram_distance
from tasteloop.measure.learned_style import distinctive_style_gap
from tasteloop.measure.schema import ImageMeasurement, Measurements

WEIGHTS = {
    "palette_tendency": 0.15,
    "compositional_style": 0.05,
    "emotional_register": 0.05,
    "texture_feel": 0.70,
    "avoid_list": 0.05,
}
# Distance at which a dimension scores 0; calibrated on the shared reference sets so that a
# held-out reference typically scores 7-9 against its own set (see bench/critic_ranking.py).
SCALES = {
    "palette_tendency": 0.9,
    "compositional_style": 2.5,
    "emotional_register": 12.0,
    "texture_feel": 0.55,
}
COVERAGE_SHARE = 0.15
# Palette distance: hues as a total-variation distance of the a*b* histogram, colourfulness as
# an earth mover's distance of the chroma histogram (ordered bins), scaled to a similar range.
CHROMA_SHARE = 0.7
CHROMA_GAIN = 2.0
# The learned style (1 - cosine to the set's weighted mean vector) as evidence: its share of
# each dimension's distance, and the gap that counts as a full scale (fitted with
# bench/critic_ranking.py).
STYLE_SHARE = {"texture_feel": 0.9, "palette_tendency": 0.15}
STYLE_SCALE = 0.12
# < 1 lifts the middle of the scale: a genuine member of a set should pass 8.0.
CURVE = 0.7
COMPOSITION_CUES = ("edge_density", "negative_space", "symmetry")
EMOTION_CUES = ("pleasure", "arousal", "dominance", "contrast")
VIOLATION_COST = 3.5  # avoid-list points lost per item the image does


@dataclass(frozen=True)
class Violation:
    item: str
    feature: str
    value: float
    limit: float
    target: float  # one noticeable margin back on the safe side of the limit

    def __str__(self) -> str:
        return f"{self.item} ({self.feature} {self.value:.3g} vs limit {self.limit:.3g})"


@dataclass
class Judgement:
    scores: dict[str, float]
    overall: float
    nearest: ImageMeasurement
    image: ImageMeasurement
    violations: list[Violation]
    style_gap: float | None = None  # 1 - cosine to the set's learned style, corrected


def _z_distance(a: ImageMeasurement, b: ImageMeasurement, names: tuple[str, ...]) -> float:
    return float(
        np.sqrt(
            np.mean([((a.features[n] - b.features[n]) / FEATURE_FLOORS[n]) ** 2 for n in names])
        )
    )


def named_colour_coverage(image: ImageMeasurement, palette_text: str) -> float | None:
    """0-1: how well the hex colours the profile names are present in the image."""
    named = HEX_COLOUR.findall(palette_text)
    if not named:
        return None
    image_labs = np.array([c.lab for c in image.palette], dtype=float)
    weights, distances = [], []
    for code, pct in named:
        distances.append(float(np.min(np.linalg.norm(image_labs - hex_to_lab(code), axis=1))))
        weights.append(float(pct) if pct else 10.0)
    mean_delta = float(np.average(distances, weights=weights))
    return max(0.0, 1.0 - mean_delta / 40.0)


def dimension_distances(image: ImageMeasurement, ref: ImageMeasurement) -> dict[str, float]:
    ih, rh = image.histograms, ref.histograms
    return {
        "palette_tendency": (1 - CHROMA_SHARE) * histogram_distance(ih["ab"], rh["ab"])
        + CHROMA_SHARE
        * min(1.0, CHROMA_GAIN * ordinal_histogram_distance(ih["chroma"], rh["chroma"])),
        "compositional_style": histogram_distance(ih["orientation"], rh["orientation"]) * 2
        + 0.25 * _z_distance(image, ref, COMPOSITION_CUES),
        "emotional_register": _z_distance(image, ref, EMOTION_CUES),
        "texture_feel": (
            histogram_distance(ih["lbp1"], rh["lbp1"])
            + histogram_distance(ih["lbp2"], rh["lbp2"])
            + histogram_distance(ih["gradient"], rh["gradient"])
        )
        / 3,
    }


def violations(
    image: ImageMeasurement, profile: TasteProfile, reference: Measurements
) -> list[Violation]:
    """The avoid-list items the image does, by the rules their words name."""
    found: list[Violation] = []
    for item in profile.avoid_list:
        for rule in rules_for_text(item):
            limit = reference.limit_of(rule.key)
            if limit is None and rule.feature in reference.stats:
                stats = reference.stats[rule.feature]
                limit = rule.limit(stats.min, stats.max)
            if limit is None:
                continue
            value = image.features[rule.feature]
            if rule.violated(value, limit):
                back = -rule.margin if rule.direction == "above" else rule.margin
                found.append(Violation(item, rule.feature, value, limit, limit + back))
                break
    return found


def with_style_evidence(
    distances: dict[str, float], style_gap: float | None, strength: float
) -> dict[str, float]:
    """Blend the learned-style distance into texture and palette, as much as `strength` asks."""
    if style_gap is None or strength <= 0:
        return distances
    blended = dict(distances)
    for dimension, share in STYLE_SHARE.items():
        share *= strength
        as_dimension = style_gap / STYLE_SCALE * SCALES[dimension]
        blended[dimension] = (1 - share) * distances[dimension] + share * as_dimension
    return blended


def score_from_distance(distance: float, scale: float) -> float:
    return round(10.0 * max(0.0, 1.0 - distance / scale) ** CURVE, 2)


def reference_styles(profile: TasteProfile) -> list[tuple[list[float] | None, float]]:
    """Each reference's style vector with the weight the person gave it."""
    refs = profile.measurements.references if profile.measurements else []
    weights = profile.style.weights_for(len(refs))
    return [(ref.style, w) for ref, w in zip(refs, weights, strict=False)]


def judge(
    image: ImageMeasurement,
    profile: TasteProfile,
    reference: Measurements,
    weights: dict[str, float] = WEIGHTS,
) -> Judgement:
    best: tuple[float, ImageMeasurement, dict[str, float]] | None = None
    for ref in reference.references:
        distances = dimension_distances(image, ref)
        total = sum(weights[d] * distances[d] / SCALES[d] for d in distances)
        if best is None or total < best[0]:
            best = (total, ref, distances)
    assert best is not None  # a Measurements always has a reference
    _, nearest, distances = best
    set_style = reference.style.mean if reference.style else None
    style_gap = distinctive_style_gap(image.style, set_style, reference_styles(profile))
    distances = with_style_evidence(distances, style_gap, profile.style.strength)
    scores = {d: score_from_distance(distances[d], SCALES[d]) for d in distances}
    coverage = named_colour_coverage(image, profile.palette_tendency)
    if coverage is not None:
        scores["palette_tendency"] = round(
            (1 - COVERAGE_SHARE) * scores["palette_tendency"] + COVERAGE_SHARE * 10 * coverage, 2
        )
    found = violations(image, profile, reference)
    scores["avoid_list"] = max(0.0, 10.0 - VIOLATION_COST * len(found))
    ordered = {d: scores[d] for d in CRITIQUE_DIMENSIONS}
    overall = round(sum(weights[d] * ordered[d] for d in CRITIQUE_DIMENSIONS), 2)
    return Judgement(ordered, overall, nearest, image, found, style_gap)
