"""What the offline generator drew and where: the unpainted layout, and each motif's footprint.

Drawn with its long side SKETCH_SIDE whatever the picture's size, at the picture's shape
(positions are shares of the width and height, and every layer draws from its own random
stream, so it is the same layout, smaller). The critic looks
for each footprint's edges in the painted picture (offline/critic/subject.py).
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tasteloop.domain.engine import Sketch
from tasteloop.offline.generator.layout import Canvas, Rng, background
from tasteloop.offline.generator.motifs import MOTIFS

SKETCH_SIDE = 256
CHANGED = 12  # grey levels: a pixel a motif changed by more than this is its footprint
SPREAD = 2  # px the footprint is widened by (a painted edge moves a little)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def draw_sketch(canvas: Canvas, stream: dict[str, Rng]) -> Sketch:
    """`canvas` at any size (its spec and colours are used); `stream` gives each layer's random
    stream afresh (the same draws the picture's layers made)."""
    small = canvas.resized(SKETCH_SIDE)
    plain = replace(small, spec=replace(small.spec, motifs=[]))
    base = np.asarray(background(plain, stream["background"]()).convert("L"), dtype=np.int16)
    layout = background(small, stream["background"]())
    draw = ImageDraw.Draw(layout)
    footprints: dict[str, bytes] = {}
    for motif in small.spec.motifs:
        MOTIFS[motif](draw, small, stream[motif]())
        alone = replace(small, spec=replace(small.spec, motifs=[motif]))
        only = background(alone, stream["background"]())
        MOTIFS[motif](ImageDraw.Draw(only), alone, stream[motif]())
        changed = np.abs(np.asarray(only.convert("L"), dtype=np.int16) - base) > CHANGED
        mask = Image.fromarray((changed * 255).astype(np.uint8)).filter(
            ImageFilter.MaxFilter(2 * SPREAD + 1)
        )
        footprints[motif] = _png(mask)
    return Sketch(layout=_png(layout.convert("L")), footprints=footprints)
