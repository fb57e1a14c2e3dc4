"""A set's learned style laid over nothing: the style network's marks over a flat field in the
set's colour, measured like any picture. A texture in the style, with no picture under it,
measures like this one, so a picture must stand apart from it (picture_check.py). The network
only shows here what to turn down: it can fail a picture by it, never pass one."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from PIL import Image

from tasteloop.measure.colour import lab_to_hex, parse_hex
from tasteloop.measure.features import Planes
from tasteloop.measure.picture import direction_variety
from tasteloop.measure.schema import Measurements
from tasteloop.measure.style_network import TRANSFORM_SIDE, style_network

# the faint grain (0-1 units) the network lays its marks along: a field with none at all gives
# it nothing to follow. One texture's variety moves by a tenth or more with its grain, so the
# set's is the mean over a few fixed grains
BARE_GRAIN, BARE_SEEDS = 0.02, (0, 1, 2)


def set_colour(measured: Measurements) -> tuple[float, float, float]:
    """The references' mean colour (0-1 sRGB), each reference counted once."""
    lab = np.zeros(3)
    for ref in measured.references:
        total = sum(c.weight for c in ref.palette) or 1.0
        lab += sum(np.array(c.lab) * c.weight for c in ref.palette) / total
    red, green, blue = parse_hex(lab_to_hex(lab / max(len(measured.references), 1))[1:])
    return red / 255, green / 255, blue / 255


def bare_texture(
    vector: Sequence[float], colour: tuple[float, float, float], grain: np.random.Generator
) -> Image.Image:
    """The style's marks over a flat field in `colour` (0-1 sRGB) with a faint grain drawn from
    `grain`, at the network's own side."""
    field = np.full((TRANSFORM_SIDE, TRANSFORM_SIDE, 3), colour, dtype=np.float32)
    field += grain.normal(0, BARE_GRAIN, field.shape).astype(np.float32)
    painted = style_network().paint(np.clip(field, 0, 1), np.asarray(vector, np.float32))
    return Image.fromarray((np.clip(painted, 0, 1) * 255).astype(np.uint8))


@functools.lru_cache(maxsize=64)  # a worker judges many pictures against the same few sets
def texture_variety(vector: tuple[float, ...], colour: tuple[float, float, float]) -> float | None:
    """The mean direction variety of the style's bare textures over BARE_SEEDS' grains."""
    found = []
    for seed in BARE_SEEDS:
        planes = Planes.of(bare_texture(vector, colour, np.random.default_rng(seed)))
        variety = direction_variety(planes.gx, planes.gy, planes.magnitude)
        if variety is not None:
            found.append(variety)
    return float(np.mean(found)) if found else None


def bare_variety(measured: Measurements) -> float | None:
    """How much the parts of a texture in the set's style differ in which way their marks run
    (tasteloop.measure.picture.direction_variety): as measured with the references, else
    measured now (and kept); None without a learned style."""
    if measured.style is None:
        return None
    if measured.style.bare_variety is not None:
        return measured.style.bare_variety
    return texture_variety(tuple(measured.style.mean), set_colour(measured))
