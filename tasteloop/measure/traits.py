"""Traits a person names when they describe a taste, measured so they are only named when true:
light from above, contour lines, colour broken into separate touches."""

from __future__ import annotations

import numpy as np

from tasteloop.measure.schema import TraitStats

LINE_DEPTH = 12.0  # L* units: a thin stroke this much darker than its surroundings is a line
LINE_WIDTH = 5  # px at the analysis size: strokes thinner than this count as lines
LOCAL_RADIUS = 3  # px: colour that changes within this distance is broken into touches

# where a person sees each trait (a set is said to have it when every reference does)
MONOCHROME_CHROMA = 12.0  # mean chroma under this: ink on paper, no colour to speak of
LIGHT_ABOVE = 10.0  # L* units between the top and bottom thirds that a person sees
CONTOUR_LINES = 0.15  # share of pixels in thin dark strokes
BROKEN_COLOUR = 0.3  # local colour change, relative to the picture's chroma
SYMMETRIC = 0.85  # mirror similarity of the two halves
OFF_CENTRE = 0.06  # of the width, the visual mass's shift from the middle


def _box(values: np.ndarray, radius: int) -> np.ndarray:
    k = 2 * radius + 1
    padded = np.pad(values, radius, mode="edge")
    summed = np.pad(padded.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    return (summed[k:, k:] - summed[:-k, k:] - summed[k:, :-k] + summed[:-k, :-k]) / (k * k)


def _rank(values: np.ndarray, size: int, pick: np.ufunc) -> np.ndarray:
    """The max (or min) over each size x size square, edges repeated: Pillow's MaxFilter and
    MinFilter, pixel for pixel, done as two passes of shifted views (30 times faster)."""
    r = size // 2
    padded = np.pad(values, r, mode="edge")
    h, w = values.shape
    rows = pick.reduce([padded[:, k : k + w] for k in range(size)])
    return pick.reduce([rows[k : k + h] for k in range(size)])


def trait_stats(lab: np.ndarray, chroma: np.ndarray) -> TraitStats:
    lightness = lab[..., 0]
    h = lightness.shape[0]
    grey = np.clip(lightness * 2.55, 0, 255).astype(np.uint8)
    closed = _rank(_rank(grey, LINE_WIDTH, np.maximum), LINE_WIDTH, np.minimum)
    below = closed.astype(np.float64) / 2.55 - lightness  # a black-hat: thin darks
    a, b = lab[..., 1], lab[..., 2]
    local = np.hypot(a - _box(a, LOCAL_RADIUS), b - _box(b, LOCAL_RADIUS))
    return TraitStats(
        light_from_above=round(
            float(lightness[: h // 3].mean() - lightness[2 * h // 3 :].mean()), 3
        ),
        line_share=round(float((below > LINE_DEPTH).mean()), 4),
        broken_colour=round(float(local.mean() / max(float(chroma.mean()), 4.0)), 4),
    )
