"""Painting a layout: brushwork sampled from the picture, the style network's pass in the
references' learned style with the layout's fine detail laid back over it, and the finish
(ink tone, saturation, warmth, contrast, lightness, grain)."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tasteloop.measure.style_network import TRANSFORM_SIDE, style_network
from tasteloop.offline.generator.layout import Palette, Rng
from tasteloop.offline.layout_spec import RGB, LayoutSpec

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
# "Monochrome" keeps the palette's own paper/ink tone (sepia, blue-black), capped so it
# stays a tint: at most this far (0-255 RGB units) from grey.
MAX_TINT = 22.0
SATURATION_GAIN = 1.5
WARMTH_SHIFT = 0.25  # the red/blue shift (0-1 units) at full warmth
# The critic's `style +n` may push past the set's own style (extrapolating the vector), a
# little: further out the network paints noise.
MAX_STRENGTH = 1.3
# How far the generator leans the set's vector from what paintings in general share, so the
# picture lands on the set's distinctive style rather than near it (measured by rendering the
# shared sets' profiles at 0, 0.25 and 0.5: 0.25 moves the picture's genericness into the
# references' range and keeps its distance to the set's style).
DISTINCTIVE_LEAN = 0.25
# The layout's detail laid back over the upscaled 384 px pass: a high-pass of its luma at
# this radius (at 1024 px), at full amount. Chosen by bench/detail_restore.py.
DETAIL_RADIUS = 2.0
DETAIL_AMOUNT = 1.0


def ink_tint(colours: Palette) -> np.ndarray:
    rgb = np.array([c for c, _ in colours], dtype=np.float32)
    weights = np.array([max(w, 1e-3) for _, w in colours], dtype=np.float32)
    offsets = rgb - (rgb @ LUMA)[:, None]
    tint = (offsets * weights[:, None]).sum(axis=0) / weights.sum()
    norm = float(np.linalg.norm(tint))
    return tint * (MAX_TINT / norm) if norm > MAX_TINT else tint


def toned(rgb: RGB, tint: np.ndarray) -> RGB:
    luma = float(np.array(rgb, dtype=np.float32) @ LUMA)
    r, g, b = (int(np.clip(luma + t, 0, 255)) for t in tint)
    return r, g, b


def brushwork(image: Image.Image, spec: LayoutSpec, rng: Rng) -> Image.Image:
    """Short strokes sampled from the picture itself, laid along a flow field."""
    width, height = image.size
    scale = min(width, height)
    pixels = np.asarray(image)
    n = int((400 + 5000 * spec.brushwork * (0.4 + spec.density)) * width * height / scale**2)
    phase_x, phase_y = rng.uniform(0, 6, 2)
    # per-stroke draws as rows, so n + k strokes are the same n strokes and k more
    uniform = np.random.default_rng(rng.integers(2**62)).random((n, 3))
    normal = np.random.default_rng(rng.integers(2**62)).standard_normal((n, 5))
    xs, ys = uniform[:, 0] * width, uniform[:, 1] * height
    curl = 1 - (spec.straightness + 1) / 2  # 0 straight … 1 curly
    field = (np.sin(xs / scale * 6 + phase_x) + np.cos(ys / scale * 5 + phase_y)) * math.pi * curl
    if spec.straightness > 0.3:
        field = np.round(field / (math.pi / 2)) * (math.pi / 2)
    angle = field + normal[:, 0] * (0.2 + 0.6 * spec.energy) * curl
    length = scale * (0.008 + 0.02 * spec.brushwork) * (0.6 + 0.8 * uniform[:, 2])
    stroke = max(2, int(scale * (0.003 + 0.006 * spec.brushwork)))
    draw = ImageDraw.Draw(image)
    ix = np.clip(xs.astype(int), 0, width - 1)
    iy = np.clip(ys.astype(int), 0, height - 1)
    base = pixels[iy, ix].astype(np.float32)
    # Mostly tonal variation (one offset for all channels) with a little hue drift, so
    # strokes read as worked paint rather than rainbow confetti.
    tone = normal[:, 1:2] * 18 * spec.brushwork
    drift = normal[:, 2:5] * 5 * spec.brushwork
    colours = np.clip(base + tone + drift, 0, 255).astype(int)
    dx = np.cos(angle) * length / 2
    dy = np.sin(angle) * length / 2
    for i in range(n):
        draw.line(
            [(xs[i] - dx[i], ys[i] - dy[i]), (xs[i] + dx[i], ys[i] + dy[i])],
            fill=tuple(colours[i]),
            width=stroke,
        )
    return image


def finish(canvas: np.ndarray, spec: LayoutSpec, rng: Rng, tint: np.ndarray | None) -> np.ndarray:
    canvas /= 255.0
    luma = canvas @ LUMA
    if tint is not None:  # one ink tone: every hue the marks picked up is replaced
        canvas = luma[..., None] + tint / 255.0
    if spec.saturation:
        # exponential, so a near-grey palette can still be pushed to real colour
        gain = math.exp(SATURATION_GAIN * spec.saturation)
        canvas = luma[..., None] + (canvas - luma[..., None]) * gain
    if spec.warmth:  # colour balance: red up and blue down, or the reverse
        shift = np.array([1.0, 0.25, -1.0], dtype=np.float32) * spec.warmth * WARMTH_SHIFT
        canvas = canvas + shift
    if spec.contrast:
        mean = float(luma.mean())
        canvas = (canvas - mean) * (1 + spec.contrast) + mean
    if spec.lightness:
        gamma = 2.0 ** (-spec.lightness * 1.5)
        canvas = np.clip(canvas, 0, 1) ** gamma
    if spec.grain > 0:
        height, width = canvas.shape[:2]
        fine = rng.standard_normal((height, width), dtype=np.float32)
        coarse = rng.standard_normal((-(-height // 4), -(-width // 4)), dtype=np.float32)
        coarse = np.repeat(np.repeat(coarse, 4, axis=0), 4, axis=1)[:height, :width]
        canvas = canvas + ((fine + coarse) * spec.grain * 0.06)[..., None]
    return (np.clip(canvas, 0, 1) * 255).astype(np.uint8)


def paint_in_style(
    layout: Image.Image, vector: np.ndarray, strength: float, soften: float = 0.0
) -> Image.Image:
    """The layout painted by the style network, with its own fine detail restored, then blurred
    by `soften` px (Gaussian radius at the layout's size).

    `strength` moves the style from the layout's own (0) to `vector` (1): the vectors are
    interpolated, not the pixels, so part strength is a lighter hand, not a fade.

    Blurring is linear, so softening the sum of the painted pass and the detail is done on its
    parts where they are small: the 384 px pass before it is scaled up, and the one luma
    channel the detail comes from (a full-size colour blur costs three times as much)."""
    network = style_network()
    if strength != 1.0:
        own = network.style_vector(layout)
        vector = own + strength * (vector - own)
    small, box = _letterboxed(layout)
    painted = network.paint(np.asarray(small, dtype=np.float32) / 255.0, vector)
    up = Image.fromarray((np.clip(painted, 0, 1) * 255 + 0.5).astype(np.uint8)).crop(box)
    long_side = max(layout.size)
    if soften:
        up = up.filter(ImageFilter.GaussianBlur(soften * TRANSFORM_SIDE / long_side))
    up = up.resize(layout.size, Image.Resampling.LANCZOS)
    radius = DETAIL_RADIUS * long_side / 1024
    # the high-pass of the layout's luma (the colours come from the network)
    luma = layout.convert("L")
    if soften:
        luma = luma.filter(ImageFilter.GaussianBlur(soften))
    sharp = np.asarray(luma, dtype=np.float32)
    detail = sharp - np.asarray(luma.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32)
    out = np.asarray(up, dtype=np.float32) + DETAIL_AMOUNT * detail[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def _letterboxed(layout: Image.Image) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The layout in the network's square input: its long side across it, the rest filled by
    mirroring the picture's own edges (so the strokes at its border have paint beside them),
    and the box the picture occupies."""
    factor = TRANSFORM_SIDE / max(layout.size)
    w, h = (max(1, round(side * factor)) for side in layout.size)
    scaled = np.asarray(layout.resize((w, h), Image.Resampling.BILINEAR))
    if (w, h) == (TRANSFORM_SIDE, TRANSFORM_SIDE):
        return Image.fromarray(scaled), (0, 0, w, h)
    left, top = (TRANSFORM_SIDE - w) // 2, (TRANSFORM_SIDE - h) // 2
    padding = ((top, TRANSFORM_SIDE - h - top), (left, TRANSFORM_SIDE - w - left), (0, 0))
    return Image.fromarray(np.pad(scaled, padding, mode="symmetric")), (
        left,
        top,
        left + w,
        top + h,
    )
