"""Measurements with the learned style: each image's features plus its style vector."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image

from tasteloop.images import CRITIQUE_SIDE, EXTRACTION_SIDE, decode_image
from tasteloop.offline.measure import Measurement, measure
from tasteloop.offline.taste_set import summarise
from tasteloop.style_network import cosine, style_network


def measure_with_style(image: Image.Image) -> Measurement:
    vector = style_network().style_vector(image)
    return replace(measure(image), style=[float(v) for v in np.round(vector, 5)])


def measure_references(images: list[bytes]) -> dict[str, object]:
    """The profile's measurements: every reference measured, then what the set shares."""
    return summarise(
        [measure_with_style(decode_image(data, max_side=EXTRACTION_SIDE)) for data in images]
    )


def measure_candidate(image: bytes) -> Measurement:
    return measure_with_style(decode_image(image, max_side=CRITIQUE_SIDE))


def style_distance(vector: list[float] | None, target: list[float] | None) -> float | None:
    """1 - cosine between two style vectors; None when either is unknown."""
    if vector is None or target is None:
        return None
    return 1.0 - cosine(vector, target)
