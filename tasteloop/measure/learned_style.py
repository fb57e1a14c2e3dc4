"""Measurements with the learned style: each image's features plus its style vector."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tasteloop.images import CRITIQUE_SIDE, EXTRACTION_SIDE, decode_image, resize_max_side
from tasteloop.measure.bare_style import bare_variety
from tasteloop.measure.features import measure
from tasteloop.measure.generic_style import generic_closeness
from tasteloop.measure.reference_set import measure_set
from tasteloop.measure.schema import ImageMeasurement, Measurements
from tasteloop.measure.style_network import cosine, style_network


def measure_with_style(image: Image.Image) -> ImageMeasurement:
    vector = style_network().style_vector(image)
    return measure(image).model_copy(update={"style": [float(v) for v in np.round(vector, 5)]})


def measure_references(images: list[bytes]) -> Measurements:
    """The profile's measurements: every reference measured, then what the set shares, with
    its style laid over nothing measured once here rather than at a critique."""
    measured = measure_set(
        [measure_with_style(decode_image(data, max_side=EXTRACTION_SIDE)) for data in images]
    )
    if measured.style is None:
        return measured
    bare = bare_variety(measured)
    style = measured.style.model_copy(
        update={"bare_variety": None if bare is None else round(bare, 5)}
    )
    return measured.model_copy(update={"style": style})


def measure_candidate(image: bytes | Image.Image) -> ImageMeasurement:
    """A picture to judge, measured at the critique's size (decoded here when given bytes)."""
    if isinstance(image, Image.Image):
        return measure_with_style(resize_max_side(image.convert("RGB"), CRITIQUE_SIDE))
    return measure_with_style(decode_image(image, max_side=CRITIQUE_SIDE))


def style_distance(vector: list[float] | None, target: list[float] | None) -> float | None:
    """1 - cosine between two style vectors; None when either is unknown."""
    if vector is None or target is None:
        return None
    return 1.0 - cosine(vector, target)


# How much the learned-style gap moves per unit of genericness outside the references' own
# range (fitted with bench/critic_ranking.py; from 0.5 to 1.0 the ranking holds at 92-93 %).
GENERIC_PENALTY = 0.75


def distinctive_style_gap(
    vector: list[float] | None,
    target: list[float] | None,
    references: list[tuple[list[float] | None, float]],
) -> float | None:
    """The style gap, corrected for how generic the image's style is.

    1 - cosine to the set's style, plus GENERIC_PENALTY times how far the image's closeness to
    paintings in general lies outside the range of the references' own (those the person
    weighted above 0): more generic than every reference adds to the gap, more distinctive than
    every one takes from it, anywhere inside the references' range changes nothing. Never below
    0; the plain gap when a reference has no vector (a profile from before them).
    """
    gap = style_distance(vector, target)
    weighted = [v for v, w in references if w > 0]
    kept = [v for v in weighted if v is not None]
    if gap is None or vector is None or not kept or len(kept) != len(weighted):
        return gap
    closeness = generic_closeness(vector)
    own = [generic_closeness(v) for v in kept]
    outside = closeness - float(np.clip(closeness, min(own), max(own)))
    return max(0.0, gap + GENERIC_PENALTY * outside)
