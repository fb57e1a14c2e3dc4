"""The canvas a layout is drawn on, and what every motif shares: where shapes gather, how many
there are, colours picked from the palette, and the geometry of cutting and bending shapes."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw

from tasteloop.offline.layout_spec import RGB, LayoutSpec

OFFLINE_SIZES = ("1K",)  # the sketch engine paints with the long side 1024 px
Palette = list[tuple[RGB, float]]  # colours with their weights
Draw = ImageDraw.ImageDraw
Rng = np.random.Generator

PLACEMENTS = {  # where shapes gather: (x, y) as shares of the width and height, spread of the scale
    "centre": (0.5, 0.5, 0.16),
    "left": (0.33, 0.5, 0.18),
    "right": (0.67, 0.5, 0.18),
    "thirds": (0.36, 0.4, 0.22),
    "symmetric": (0.5, 0.5, 0.22),
    "scattered": (0.5, 0.5, 0.6),
}


@dataclass(frozen=True)
class Canvas:
    """Positions are shares of the width (x) and the height (y); the size of a mark is a share
    of the scale, the short side, so a head or a boat keeps its proportions at any shape."""

    width: int
    height: int
    spec: LayoutSpec
    colours: Palette  # heaviest first
    tint: np.ndarray | None = None  # the one ink tone of a monochrome picture

    @property
    def scale(self) -> int:
        return min(self.width, self.height)

    def resized(self, long_side: int) -> Canvas:
        """The same canvas with its long side `long_side` (a sketch of the picture)."""
        factor = long_side / max(self.width, self.height)
        return replace(
            self,
            width=max(1, round(self.width * factor)),
            height=max(1, round(self.height * factor)),
        )

    def focus(self) -> tuple[float, float, float]:
        """Where shapes gather: (x, y, spread) in pixels."""
        fx, fy, spread = PLACEMENTS[self.spec.placement]
        spread = spread * (0.6 + self.spec.density)
        return fx * self.width, fy * self.height, spread * self.scale

    def count(self, base: int, scale: int) -> int:
        return max(1, int(base + self.spec.density * scale))

    def positions(self, rng: Rng, n: int) -> np.ndarray:
        """n points around the focus; the first k are the same whatever n is."""
        fx, fy, spread = self.focus()
        own = np.random.default_rng(rng.integers(2**62))  # the caller's draws stay in step
        points = own.standard_normal((n, 2)) * spread + np.array([fx, fy])
        if self.spec.placement == "symmetric":  # every second point mirrors the one before it
            points[1::2] = points[0 : n - 1 : 2]
            points[1::2, 0] = self.width - points[1::2, 0]
        sides = np.array([self.width, self.height])
        return np.clip(points, -0.05 * sides, 1.05 * sides)


def pick(rng: Rng, colours: Palette, skip_first: bool) -> RGB:
    choices = colours[1:] if skip_first and len(colours) > 1 else colours
    weights = np.array([max(w, 1e-3) for _, w in choices])
    return choices[int(rng.choice(len(choices), p=weights / weights.sum()))][0]


def jitter(rgb: RGB, rng: Rng, amount: float) -> RGB:
    r, g, b = (int(np.clip(c + rng.normal(0, amount), 0, 255)) for c in rgb)
    return r, g, b


def dark_to_light(colours: Palette) -> list[RGB]:
    return sorted((c for c, _ in colours), key=sum)


def area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return float(abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / 2) + 1e-6


def split(polygon: np.ndarray, through: np.ndarray, angle: float) -> list[np.ndarray]:
    """Cut a convex polygon by the line through `through` at `angle`: both halves."""
    normal = np.array([-math.sin(angle), math.cos(angle)])
    side = (polygon - through) @ normal
    halves: list[list[np.ndarray]] = [[], []]
    for i in range(len(polygon)):
        a, b = polygon[i], polygon[(i + 1) % len(polygon)]
        sa, sb = side[i], side[(i + 1) % len(polygon)]
        halves[0 if sa >= 0 else 1].append(a)
        if (sa >= 0) != (sb >= 0):
            crossing = a + (b - a) * (sa / (sa - sb))
            halves[0].append(crossing)
            halves[1].append(crossing)
    return [np.array(half) for half in halves]


def rectangle_outline(
    x0: float, y0: float, x1: float, y1: float, canvas: Canvas, bend: float, phases: np.ndarray
) -> list[tuple[float, float]]:
    """A rectangle's outline, bent by a smooth warp of the whole canvas when bend > 0."""
    if bend <= 0:
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    t = np.linspace(0, 1, 9)[:-1]
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(8, x1), x1 - (x1 - x0) * t, np.full(8, x0)])
    ys = np.concatenate([np.full(8, y0), y0 + (y1 - y0) * t, np.full(8, y1), y1 - (y1 - y0) * t])
    wx = xs + bend * np.sin(ys / canvas.height * 2 * math.pi * 1.5 + phases[0])
    wy = ys + bend * np.sin(xs / canvas.width * 2 * math.pi * 1.5 + phases[1])
    return list(zip(wx.tolist(), wy.tolist(), strict=True))


def background(canvas: Canvas, rng: Rng) -> Image.Image:
    width, height, spec, colours = canvas.width, canvas.height, canvas.spec, canvas.colours
    top = np.array(colours[0][0], dtype=np.float32)
    second = np.array(colours[1][0] if len(colours) > 1 else colours[0][0], dtype=np.float32)
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    if "horizon" in spec.motifs:
        horizon = int(height * (0.55 + rng.uniform(-0.08, 0.08)))
        sky = top * (1 - t * 0.5) + second * (t * 0.5)
        pixels = np.repeat(sky, width, axis=1)
        ground = np.array(colours[2][0] if len(colours) > 2 else second, dtype=np.float32)
        pixels[horizon:] = ground * 0.85 + pixels[horizon:] * 0.15
    else:
        mix = 0.0 if spec.brushwork == 0 else 0.35
        column = top * (1 - t * mix) + second * (t * mix)
        pixels = np.repeat(column, width, axis=1)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


# motifs -------------------------------------------------------------------------------
