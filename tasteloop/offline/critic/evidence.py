"""What the offline critic measures of an image against the references, dimension by dimension.

Independent of the style network: colour (the a*b* histogram's total variation, the chroma
histogram's earth mover's distance), composition (edge directions, density, quiet area,
symmetry), mood (pleasure, arousal, dominance, contrast) and mark-making (local binary patterns
at two radii, the gradient-magnitude histogram). The learned style's gap is measured too, and
kept apart, so it can be weighed as one piece of evidence among others (scoring.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tasteloop.domain.profile import TasteProfile
from tasteloop.measure.avoid_rules import rules_for_text
from tasteloop.measure.colour import hex_to_lab
from tasteloop.measure.features import FEATURE_FLOORS
from tasteloop.measure.histograms import histogram_distance, ordinal_histogram_distance
from tasteloop.measure.schema import ImageMeasurement, Measurements

# The dimensions measured without the style network, in the critique's order.
MEASURED = ("palette_tendency", "compositional_style", "emotional_register", "texture_feel")
CHROMA_SHARE = 0.7
CHROMA_GAIN = 2.0
COMPOSITION_CUES = ("edge_density", "negative_space", "symmetry")
EMOTION_CUES = ("pleasure", "arousal", "dominance", "contrast")
# Distances that are only measurement noise: the 90th percentile of each distance between a
# shared reference and itself re-encoded at half size as a JPEG of quality 75 (measured on all
# 20; they say nothing of taste). A set whose members agree more closely than this is not held
# closer than this.
NOISE_FLOORS = {
    "palette_tendency": 0.05,
    "compositional_style": 0.4,
    "emotional_register": 0.15,
    "texture_feel": 0.13,
    "learned_style": 0.015,
}
# The gradient histogram's bins run in 0.4 decades from 10^-4; under the fifth (10^-2.4, a step
# of about one L* unit across neighbours, the least a person sees) a surface reads as flat,
# whether a render's exact zero or a scan's or photograph's faint noise: those bins count as one
VISIBLE_GRADIENT_BIN = 4
COLOUR_MATCH_DELTA_E = 40.0  # a named colour this far from every dominant colour is absent


@dataclass(frozen=True)
class Violation:
    item: str
    feature: str
    value: float
    limit: float
    target: float  # one noticeable margin back on the safe side of the limit

    def __str__(self) -> str:
        return f"{self.item} ({self.feature} {self.value:.3g} vs limit {self.limit:.3g})"


def _z_distance(a: ImageMeasurement, b: ImageMeasurement, names: tuple[str, ...]) -> float:
    return float(
        np.sqrt(
            np.mean([((a.features[n] - b.features[n]) / FEATURE_FLOORS[n]) ** 2 for n in names])
        )
    )


def visible(gradient: list[float]) -> list[float]:
    """The gradient histogram as a person sees it: everything too faint to see is flat."""
    return [sum(gradient[: VISIBLE_GRADIENT_BIN + 1]), *gradient[VISIBLE_GRADIENT_BIN + 1 :]]


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
            + histogram_distance(visible(ih["gradient"]), visible(rh["gradient"]))
        )
        / 3,
    }


def palette_coverage(image: ImageMeasurement, swatches: list[str]) -> float | None:
    """0-1: how well the palette's swatches (hex colours) are present among the image's
    dominant colours; None when the profile names none."""
    if not swatches:
        return None
    image_labs = np.array([c.lab for c in image.palette], dtype=float)
    distances = [
        float(np.min(np.linalg.norm(image_labs - hex_to_lab(c), axis=1))) for c in swatches
    ]
    return max(0.0, 1.0 - float(np.mean(distances)) / COLOUR_MATCH_DELTA_E)


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
