"""Scoring an image against measured references: how far it is from the set, measured against
how far the set's own members are from each other.

For each dimension the image's distance to the reference it is nearest (all dimensions
together) is divided by the references' own spread (the median of each reference's distance to
its nearest other one, never less than measurement noise). A picture as near the set as its
members are to each other scores about 9; 1.15 times as far passes 8.0; about 1.33 times as far
reaches the gate (6.0); 1.5 times as far scores 4, twice as far under 1. The learned style's gap
is read the same way (against each reference's gap to the others' style). The curve's second
anchor (score 4 at 1.5) was chosen leaving each shared set out in turn (1.5 in four folds of
five; bench/truthfulness.py and BENCHMARKS.md). Until session 23 this said that 1.5 reached the
gate: the curve was always the one below, and the figures were measured with it.

Two verdicts are taken and the lower one is the score: the independent evidence (colour 0.25,
composition 0.15, mood 0.10, mark-making 0.40, the avoid-list 0.10, measured without the style
network), and the style network's reading of the learned style (relaxed as far as the person
lowered the style strength). So the network the generator paints with cannot carry a picture on
its own, and independent measures can fail a picture it likes. The independent dimensions are
combined by a power mean softer than an average (`combined`), so a picture far off in colour and
in mood is not carried to the gate by its mark-making alone, as it was by the weighted average.
A picture that is not one (picture_check.py) is multiplied down.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from tasteloop.domain.profile import CRITIQUE_DIMENSIONS, TasteProfile
from tasteloop.measure.bare_style import bare_variety
from tasteloop.measure.learned_style import distinctive_style_gap, style_distance
from tasteloop.measure.picture_check import PictureCheck, check_picture
from tasteloop.measure.schema import ImageMeasurement, Measurements
from tasteloop.offline.critic.evidence import (
    MEASURED,
    NOISE_FLOORS,
    Violation,
    dimension_distances,
    palette_coverage,
    violations,
)

WEIGHTS = {
    "palette_tendency": 0.25,
    "compositional_style": 0.15,
    "emotional_register": 0.10,
    "texture_feel": 0.40,
    "avoid_list": 0.10,
}
# the distance ratio (to the set's own spread) that passes the default threshold (8.0), and the
# one that scores 4.0 (the odds against a pass, 10 / score - 1, are six times as high there); the
# score follows 10 / (1 + (ratio / HALF) ** STEEPNESS), so the default gate (6.0) falls at about
# 1.33 (`ratio_at`)
PASS_RATIO, FAR_RATIO = 1.15, 1.5
STEEPNESS = math.log(6.0) / math.log(FAR_RATIO / PASS_RATIO)
HALF_RATIO = PASS_RATIO / 0.25 ** (1 / STEEPNESS)
STYLE_SHARE = 0.5  # of the mark-making shown in the breakdown, at full style strength
COVERAGE_SHARE = 0.15  # of the colour score: the palette's swatches present in the image
VIOLATION_COST = 3.5  # avoid-list points lost per item the image does
# The independent dimensions' scores (plus one, so that no one measure vetoes on its own) are
# combined by their weighted power mean of this exponent: 1 is the weighted average, 0 the
# geometric mean. Chosen leaving each shared set out in turn (0.5 in four folds of five;
# bench/combining.py and BENCHMARKS.md).
MEAN_POWER, MEAN_OFFSET = 0.5, 1.0


@dataclass
class Judgement:
    scores: dict[str, float]
    overall: float
    nearest: ImageMeasurement  # the reference the image is nearest overall (advice aims at it)
    image: ImageMeasurement
    violations: list[Violation]
    style_gap: float | None = None  # 1 - cosine to the set's learned style, corrected
    ratios: dict[str, float] | None = None  # distance / the set's own spread, per dimension
    independent: float = 0.0  # the independent evidence's verdict (no style network)
    by_network: float | None = None  # the style network's verdict
    picture: PictureCheck | None = None

    @property
    def every_dimension_passes(self) -> bool:
        """Each dimension as near the set as passes (its members are about as far from each
        other): a gap left in one is within the references' own variety, not one to close."""
        return all(score >= PASS_SCORE for score in self.scores.values())


def combined(
    scores: dict[str, float], weights: dict[str, float] = WEIGHTS, power: float = MEAN_POWER
) -> float:
    """The dimensions' scores as one: their weighted power mean (of the scores plus MEAN_OFFSET;
    power 0 is the geometric mean)."""
    total = sum(weights[d] for d in CRITIQUE_DIMENSIONS)
    shifted = {d: scores[d] + MEAN_OFFSET for d in CRITIQUE_DIMENSIONS}
    if power == 0:
        mean = math.exp(sum(weights[d] * math.log(shifted[d]) for d in shifted) / total)
    else:
        mean = (sum(weights[d] * shifted[d] ** power for d in shifted) / total) ** (1 / power)
    return mean - MEAN_OFFSET


def shortfall_cost(scores: dict[str, float], weights: dict[str, float], dimension: str) -> float:
    """How much the combined score would rise if this dimension scored 10."""
    return combined({**scores, dimension: 10.0}, weights) - combined(scores, weights)


def ratio_score(ratio: float) -> float:
    return round(10.0 / (1.0 + (max(ratio, 0.0) / HALF_RATIO) ** STEEPNESS), 2)


PASS_SCORE = ratio_score(PASS_RATIO)  # 8.0


def ratio_at(score: float) -> float:
    """The distance ratio that scores `score` (0 < score < 10)."""
    return HALF_RATIO * (10.0 / score - 1.0) ** (1 / STEEPNESS)


def network_pass_ratio(strength: float) -> float:
    """The learned-style ratio up to which the style network's verdict still passes at this
    style strength (it is relaxed towards 10 as far as the strength is lowered)."""
    if strength <= 0:
        return math.inf
    needed = (PASS_SCORE - (1.0 - strength) * 10.0) / strength
    return ratio_at(needed) if needed > 0 else math.inf


def _spread(values: list[float], floor: float) -> float:
    return max(statistics.median(values), floor) if values else floor


@dataclass(frozen=True)
class SetSpread:
    """How far the references are from each other, per dimension and in learned style."""

    dimensions: dict[str, float]
    style: float | None

    @classmethod
    def of(cls, reference: Measurements, strength_weights: list[float] | None = None) -> SetSpread:
        refs = reference.references
        nearest_other: dict[str, list[float]] = {d: [] for d in MEASURED}
        floors = {d: NOISE_FLOORS[d] for d in MEASURED}
        for i, ref in enumerate(refs):
            others = [dimension_distances(ref, o) for j, o in enumerate(refs) if j != i]
            if others:  # the one other reference it is nearest, all dimensions together
                closest = min(others, key=lambda o: sum(o[d] / floors[d] for d in MEASURED))
                for d in MEASURED:
                    nearest_other[d].append(closest[d])
        style_gaps = []
        for i, ref in enumerate(refs):
            others = [r.style for j, r in enumerate(refs) if j != i and r.style is not None]
            if ref.style is not None and others:
                mean = [sum(v) / len(others) for v in zip(*others, strict=True)]
                gap = style_distance(ref.style, mean)
                if gap is not None:
                    style_gaps.append(gap)
        return cls(
            {d: _spread(nearest_other[d], NOISE_FLOORS[d]) for d in MEASURED},
            _spread(style_gaps, NOISE_FLOORS["learned_style"]) if style_gaps else None,
        )


def reference_styles(profile: TasteProfile) -> list[tuple[list[float] | None, float]]:
    """Each reference's style vector with the weight the person gave it."""
    refs = profile.measurements.references if profile.measurements else []
    weights = profile.style.weights_for(len(refs))
    return [(ref.style, w) for ref, w in zip(refs, weights, strict=False)]


def judge(
    image: ImageMeasurement,
    profile: TasteProfile,
    reference: Measurements,
    spread: SetSpread,
    weights: dict[str, float] = WEIGHTS,
) -> Judgement:
    per_ref = [(ref, dimension_distances(image, ref)) for ref in reference.references]
    # judged beside the one reference it is nearest, all dimensions together: it belongs to the
    # set when it could stand beside one of its members
    nearest, distances = min(
        per_ref, key=lambda rd: sum(rd[1][d] / spread.dimensions[d] for d in MEASURED)
    )
    ratios = {d: distances[d] / spread.dimensions[d] for d in MEASURED}
    scores = {d: ratio_score(ratios[d]) for d in MEASURED}
    coverage = palette_coverage(image, profile.palette)
    if coverage is not None:
        scores["palette_tendency"] = round(
            (1 - COVERAGE_SHARE) * scores["palette_tendency"] + COVERAGE_SHARE * 10 * coverage, 2
        )
    found = violations(image, profile, reference)
    scores["avoid_list"] = max(0.0, 10.0 - VIOLATION_COST * len(found))
    independent = round(combined(scores, weights), 2)

    set_style = reference.style.mean if reference.style else None
    style_gap = distinctive_style_gap(image.style, set_style, reference_styles(profile))
    strength = profile.style.strength
    overall, by_network = independent, None
    if style_gap is not None and spread.style is not None and strength > 0:
        ratios["learned_style"] = style_gap / spread.style
        network = ratio_score(ratios["learned_style"])
        by_network = round(strength * network + (1 - strength) * 10.0, 2)
        share = STYLE_SHARE * strength
        scores["texture_feel"] = round((1 - share) * scores["texture_feel"] + share * network, 2)
        overall = min(independent, by_network)
    pictures = [r.picture for r in reference.references if r.picture]
    picture = check_picture(image.picture, pictures, bare_variety(reference))
    overall = round(overall * picture.plausibility, 2)
    ordered = {d: scores[d] for d in CRITIQUE_DIMENSIONS}
    return Judgement(
        ordered, overall, nearest, image, found, style_gap, ratios, independent, by_network, picture
    )
