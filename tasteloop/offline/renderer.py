"""A deterministic painter driven by prompt text (see vocabulary.py).

A procedural layout (background, motifs, marks) sets out the intent; the style network
(tasteloop.measure.style_network) then paints it in the references' learned style, and the layout's
fine detail is laid back over the network's 384 px pass so the 1024 px picture stays crisp."""

from __future__ import annotations

import hashlib
import io
import math
import time
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tasteloop.domain.engine import NO_INPUTS, CallUsage, GeneratedImage, PaintInputs, StyleTarget
from tasteloop.images import EXTRACTION_SIDE, decode_image
from tasteloop.measure.generic_style import lean_from_generic
from tasteloop.measure.style_network import TRANSFORM_SIDE, style_network, weighted_mean
from tasteloop.offline import OFFLINE_MODELS
from tasteloop.offline.prompt_words import RenderSpec, parse_prompt, strip_adjustments

RGB = tuple[int, int, int]
Palette = list[tuple[RGB, float]]  # colours with their weights
Draw = ImageDraw.ImageDraw
Rng = np.random.Generator


LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
# "Monochrome" keeps the palette's own paper/ink tone (sepia, blue-black), capped so it
# stays a tint: at most this far (0-255 RGB units) from grey.
MAX_TINT = 22.0
SATURATION_GAIN = 1.5
WARMTH_SHIFT = 0.25  # the red/blue shift (0-1 units) at full warmth
# The critic's `style +n` may push past the set's own style (extrapolating the vector), a
# little: further out the network paints noise.
MAX_STRENGTH = 1.3
# How far the painter leans the set's vector from what paintings in general share, so the
# picture lands on the set's distinctive style rather than near it (measured by rendering the
# shared sets' profiles at 0, 0.25 and 0.5: 0.25 moves the picture's genericness into the
# references' range and keeps its distance to the set's style).
DISTINCTIVE_LEAN = 0.25
# The layout's detail laid back over the upscaled 384 px pass: a high-pass of its luma at
# this radius (at 1024 px), at full amount. Chosen by bench/detail_restore.py.
DETAIL_RADIUS = 2.0
DETAIL_AMOUNT = 1.0


def _ink_tint(colours: list[tuple[RGB, float]]) -> np.ndarray:
    rgb = np.array([c for c, _ in colours], dtype=np.float32)
    weights = np.array([max(w, 1e-3) for _, w in colours], dtype=np.float32)
    offsets = rgb - (rgb @ LUMA)[:, None]
    tint = (offsets * weights[:, None]).sum(axis=0) / weights.sum()
    norm = float(np.linalg.norm(tint))
    return tint * (MAX_TINT / norm) if norm > MAX_TINT else tint


def _toned(rgb: RGB, tint: np.ndarray) -> RGB:
    luma = float(np.array(rgb, dtype=np.float32) @ LUMA)
    return tuple(int(np.clip(luma + t, 0, 255)) for t in tint)  # type: ignore[return-value]


def _rng(prompt: str, seed: int) -> np.random.Generator:
    # The layout ignores the Adjustments clause, so a critic's adjustment changes the
    # qualities it names and not the whole picture.
    layout_text = strip_adjustments(prompt.strip())
    digest = hashlib.sha256(f"{seed}\x00{layout_text}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _pick(rng: np.random.Generator, colours: Palette, skip_first: bool) -> RGB:
    choices = colours[1:] if skip_first and len(colours) > 1 else colours
    weights = np.array([max(w, 1e-3) for _, w in choices])
    return choices[int(rng.choice(len(choices), p=weights / weights.sum()))][0]


def _jitter(rgb: RGB, rng: np.random.Generator, amount: float) -> RGB:
    return tuple(int(np.clip(c + rng.normal(0, amount), 0, 255)) for c in rgb)  # type: ignore[return-value]


def _dark_to_light(colours: Palette) -> list[RGB]:
    return sorted((c for c, _ in colours), key=sum)


def _focus(spec: RenderSpec, size: int) -> tuple[float, float, float]:
    """Where shapes gather: (x, y, spread) in pixels."""
    placements = {
        "centre": (0.5, 0.5, 0.16),
        "left": (0.33, 0.5, 0.18),
        "right": (0.67, 0.5, 0.18),
        "thirds": (0.36, 0.4, 0.22),
        "symmetric": (0.5, 0.5, 0.22),
        "scattered": (0.5, 0.5, 0.6),
    }
    fx, fy, spread = placements[spec.placement]
    spread = spread * (0.6 + spec.density)
    return fx * size, fy * size, spread * size


def _area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return float(abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / 2) + 1e-6


def _split(polygon: np.ndarray, through: np.ndarray, angle: float) -> list[np.ndarray]:
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


def _rectangle_outline(
    x0: float, y0: float, x1: float, y1: float, size: int, bend: float, phases: np.ndarray
) -> list[tuple[float, float]]:
    """A rectangle's outline, bent by a smooth warp of the whole canvas when bend > 0."""
    if bend <= 0:
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    t = np.linspace(0, 1, 9)[:-1]
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(8, x1), x1 - (x1 - x0) * t, np.full(8, x0)])
    ys = np.concatenate([np.full(8, y0), y0 + (y1 - y0) * t, np.full(8, y1), y1 - (y1 - y0) * t])
    wx = xs + bend * np.sin(ys / size * 2 * math.pi * 1.5 + phases[0])
    wy = ys + bend * np.sin(xs / size * 2 * math.pi * 1.5 + phases[1])
    return list(zip(wx.tolist(), wy.tolist(), strict=True))


class ProceduralRenderer:
    """Paints abstract pictures from prompts; same prompt and seed, same image."""

    model = OFFLINE_MODELS["generate"]

    def __init__(self, size: int = 1024) -> None:
        self.size = size

    def generate(
        self, prompt: str, *, seed: int = 0, inputs: PaintInputs = NO_INPUTS
    ) -> GeneratedImage:
        """Paints the prompt's layout in the learned style (the references' own when the
        profile carries none); the edit image is not used."""
        started = time.perf_counter()
        data = self.render_png(prompt, seed=seed, style=inputs.style or _style_of(inputs))
        usage = CallUsage("generate", self.model, time.perf_counter() - started)
        return GeneratedImage(data=data, mime_type="image/png", usage=(usage,))

    def render_png(self, prompt: str, *, seed: int = 0, style: StyleTarget | None = None) -> bytes:
        out = io.BytesIO()
        self.render(prompt, seed=seed, style=style).save(out, "PNG", compress_level=1)
        return out.getvalue()

    def render(
        self, prompt: str, *, seed: int = 0, style: StyleTarget | None = None
    ) -> Image.Image:
        spec = parse_prompt(prompt)
        root = int(_rng(prompt, seed).integers(2**62))

        def stream(name: str) -> np.random.Generator:
            # One random stream per layer: more marks in one layer (a detail adjustment)
            # adds to it without reshuffling every other layer.
            return np.random.default_rng([root, zlib.crc32(name.encode())])

        size = self.size
        colours = sorted(spec.colours, key=lambda cw: -cw[1])
        tint = _ink_tint(colours) if spec.monochrome else None
        if tint is not None:
            colours = [(_toned(c, tint), w) for c, w in colours]
        image = self._background(spec, colours, stream("background"))
        draw = ImageDraw.Draw(image)
        for motif in spec.motifs:
            getattr(self, f"_motif_{motif}")(draw, spec, colours, stream(motif))
        if spec.brushwork > 0.02:
            image = self._brushwork(image, spec, stream("brushwork"))
        soften = spec.softness * size / 150 if spec.softness > 0.02 else 0.0
        strength = 0.0
        if style is not None and style.strength > 0:
            strength = float(np.clip(style.strength + spec.style_shift, 0.0, MAX_STRENGTH))
        if style is not None and strength > 0:
            vector = lean_from_generic(np.asarray(style.vector, np.float32), DISTINCTIVE_LEAN)
            image = paint_in_style(image, vector, strength, soften=soften)
        elif soften:
            image = image.filter(ImageFilter.GaussianBlur(radius=soften))
        return Image.fromarray(
            self._finish(np.asarray(image, dtype=np.float32), spec, stream("grain"), tint)
        )

    # background ---------------------------------------------------------------------------
    def _background(
        self, spec: RenderSpec, colours: list[tuple[RGB, float]], rng: np.random.Generator
    ) -> Image.Image:
        size = self.size
        top = np.array(colours[0][0], dtype=np.float32)
        second = np.array(colours[1][0] if len(colours) > 1 else colours[0][0], dtype=np.float32)
        t = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
        if "horizon" in spec.motifs:
            horizon = int(size * (0.55 + rng.uniform(-0.08, 0.08)))
            sky = top * (1 - t * 0.5) + second * (t * 0.5)
            canvas = np.repeat(sky, size, axis=1)
            ground = np.array(colours[2][0] if len(colours) > 2 else second, dtype=np.float32)
            canvas[horizon:] = ground * 0.85 + canvas[horizon:] * 0.15
        else:
            mix = 0.0 if spec.brushwork == 0 else 0.35
            column = top * (1 - t * mix) + second * (t * mix)
            canvas = np.repeat(column, size, axis=1)
        return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))

    # motifs -------------------------------------------------------------------------------
    def _count(self, spec: RenderSpec, base: int, scale: int) -> int:
        return max(1, int(base + spec.density * scale))

    def _positions(self, spec: RenderSpec, rng: np.random.Generator, n: int) -> np.ndarray:
        """n points around the focus; the first k are the same whatever n is."""
        fx, fy, spread = _focus(spec, self.size)
        own = np.random.default_rng(rng.integers(2**62))  # the caller's draws stay in step
        points = own.standard_normal((n, 2)) * spread + np.array([fx, fy])
        if spec.placement == "symmetric":  # every second point mirrors the one before it
            points[1::2] = points[0 : n - 1 : 2]
            points[1::2, 0] = self.size - points[1::2, 0]
        return np.clip(points, -0.05 * self.size, 1.05 * self.size)

    def _motif_circles(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        n = self._count(spec, 2, 14)
        for x, y in self._positions(spec, rng, n):
            r = self.size * rng.uniform(0.03, 0.16) * (1.2 - min(spec.density, 1.0) * 0.5)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=_pick(rng, colours, True))

    def _motif_planes(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        """Cut the frame into interlocking facets, finest where the composition gathers."""
        size = self.size
        fx, fy, spread = _focus(spec, size)
        cells = [np.array([(0.0, 0.0), (size, 0.0), (size, size), (0.0, size)])]
        for _ in range(self._count(spec, 6, 30)):
            centres = np.array([cell.mean(axis=0) for cell in cells])
            near = np.exp(
                -((centres[:, 0] - fx) ** 2 + (centres[:, 1] - fy) ** 2) / (2 * spread**2)
            )
            weights = np.array([_area(cell) for cell in cells]) * (0.2 + near)
            cell = cells.pop(int(rng.choice(len(cells), p=weights / weights.sum())))
            if spec.straightness > 0.3:  # ruler-straight: near-axis cuts
                angle = rng.choice([0.0, math.pi / 2]) + rng.normal(0, 0.04)
            else:
                angle = rng.uniform(0, math.pi)
            through = cell.mean(axis=0) + rng.normal(0, 0.15, 2) * np.sqrt(_area(cell))
            cells += [part for part in _split(cell, through, angle) if len(part) >= 3]
        filled = 0.45 + 0.5 * min(spec.density, 1.0)
        line = max(1, int(size * 0.003))
        for cell in cells:
            points = [tuple(p) for p in cell]
            if rng.uniform() < filled:
                draw.polygon(points, fill=_jitter(_pick(rng, colours, False), rng, 14))
            draw.line([*points, points[0]], fill=(20, 20, 20), width=line)
        if spec.straightness < -0.2:  # curved facets over the cut planes
            for x, y in self._positions(spec, rng, self._count(spec, 2, 10)):
                r = size * rng.uniform(0.05, 0.2)
                start = rng.uniform(0, 2 * math.pi)
                angles = np.linspace(start, start + rng.uniform(1.5, 4.5), 16)
                squash = rng.uniform(0.4, 1.0)
                pts = [(x + r * math.cos(a), y + r * squash * math.sin(a)) for a in angles]
                draw.polygon(pts, fill=_pick(rng, colours, True), outline=(20, 20, 20))

    def _motif_grid(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        size = self.size
        cells = [(0.0, 0.0, float(size), float(size))]
        splits = self._count(spec, 4, 18)
        for _ in range(splits):
            i = int(rng.integers(len(cells)))
            x0, y0, x1, y1 = cells.pop(i)
            if (x1 - x0) > (y1 - y0):
                cut = rng.uniform(x0 + (x1 - x0) * 0.25, x1 - (x1 - x0) * 0.25)
                cells += [(x0, y0, cut, y1), (cut, y0, x1, y1)]
            else:
                cut = rng.uniform(y0 + (y1 - y0) * 0.25, y1 - (y1 - y0) * 0.25)
                cells += [(x0, y0, x1, cut), (x0, cut, x1, y1)]
        line = max(3, int(size * 0.012))
        # Curving asked for: bend the whole grid by one smooth warp, so neighbouring cells
        # still meet; straight or neutral prompts keep ruler-straight rectangles.
        bend = 0.05 * size * min(1.0, max(0.0, -spec.straightness))
        phases = rng.uniform(0, 2 * math.pi, 2)
        for x0, y0, x1, y1 in cells:
            outline = _rectangle_outline(x0, y0, x1, y1, size, bend, phases)
            if rng.uniform() < 0.45:
                draw.polygon(outline, fill=_pick(rng, colours, True))
            draw.line([*outline, outline[0]], fill=(15, 15, 15), width=line, joint="curve")

    def _motif_stripes(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        n = self._count(spec, 3, 12)
        angle = 0.0 if spec.straightness >= 0 else rng.uniform(-0.4, 0.4)
        for _ in range(n):
            y = rng.uniform(0, self.size)
            w = self.size * rng.uniform(0.01, 0.05)
            dy = math.tan(angle) * self.size
            draw.polygon(
                [(0, y), (self.size, y + dy), (self.size, y + dy + w), (0, y + w)],
                fill=_pick(rng, colours, True),
            )

    def _motif_waves(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        n = self._count(spec, 3, 14)
        xs = np.linspace(0, self.size, 80)
        for _ in range(n):
            y0 = rng.uniform(self.size * 0.55, self.size * 0.98)
            amp = self.size * rng.uniform(0.005, 0.03)
            freq = rng.uniform(2, 8)
            phase = rng.uniform(0, 6.3)
            ys = y0 + amp * np.sin(xs / self.size * freq * 2 * math.pi + phase)
            draw.line(
                list(zip(xs, ys, strict=True)),
                fill=_pick(rng, colours, True),
                width=max(2, int(self.size * rng.uniform(0.003, 0.012))),
            )

    def _motif_horizon(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        n = self._count(spec, 1, 6)
        for _ in range(n):
            x = rng.uniform(0, self.size)
            h = self.size * rng.uniform(0.05, 0.25)
            w = self.size * rng.uniform(0.02, 0.1)
            base = self.size * rng.uniform(0.52, 0.62)
            draw.polygon(
                [(x - w, base), (x, base - h), (x + w, base)], fill=_pick(rng, colours, True)
            )

    def _motif_blobs(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        n = self._count(spec, 2, 12)
        for x, y in self._positions(spec, rng, n):
            r = self.size * rng.uniform(0.05, 0.18) * (1.2 - min(spec.density, 1.0) * 0.5)
            angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
            wobble = 1 + 0.25 * np.sin(angles * rng.integers(2, 5) + rng.uniform(0, 6))
            pts = [
                (x + r * w * math.cos(a), y + r * w * math.sin(a))
                for a, w in zip(angles, wobble, strict=True)
            ]
            draw.polygon(pts, fill=_pick(rng, colours, True))

    def _motif_lines(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        n = self._count(spec, 3, 25)
        for x, y in self._positions(spec, rng, n):
            pts = [(x, y)]
            heading = rng.uniform(0, 2 * math.pi)
            for _ in range(12):
                heading += rng.normal(0, 0.3 * (1 - spec.straightness))
                x += math.cos(heading) * self.size * 0.03
                y += math.sin(heading) * self.size * 0.03
                pts.append((x, y))
            draw.line(pts, fill=_pick(rng, colours, False), width=max(1, int(self.size * 0.004)))

    def _motif_swirls(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        """Vortices built of short thick strokes laid along rings around a bright core, so the
        style network gets brushwork to paint rather than a drawn spiral line."""
        size = self.size
        width = max(2, int(size * 0.011))
        stroke = size * 0.03
        for x, y in self._positions(spec, rng, self._count(spec, 2, 10)):
            r_max = size * rng.uniform(0.05, 0.14)
            base = np.array(_pick(rng, colours, True), dtype=np.float32)
            light = np.clip(base + 70, 0, 255)
            turn = rng.uniform(0.15, 0.35)  # how far each stroke leans inwards: the spiral
            rings = max(2, int(r_max / (width * 1.3)))
            for k in range(rings):
                r = r_max * (k + 0.7) / rings
                count = max(4, int(2 * math.pi * r / (stroke * 0.7)))
                start = rng.uniform(0, 2 * math.pi)
                for a in start + np.arange(count) * 2 * math.pi / count:
                    a1 = a + stroke / r
                    r1 = r * (1 - turn * stroke / r_max)
                    mix = float(np.clip(1 - r / r_max + rng.normal(0, 0.15), 0, 1))
                    colour = _jitter(tuple((base * (1 - mix) + light * mix).astype(int)), rng, 10)
                    draw.line(
                        [
                            (x + r * math.cos(a), y + r * math.sin(a)),
                            (x + r1 * math.cos(a1), y + r1 * math.sin(a1)),
                        ],
                        fill=colour,
                        width=width,
                    )

    def _motif_figure(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        """A head-and-shoulders figure: shoulders, neck, head, hair and the marks of a face,
        in the palette's tones (dark clothes and hair, the lightest colour for the skin)."""
        size = self.size
        fx, _, _ = _focus(spec, size)
        cx = float(np.clip(fx + rng.normal(0, 0.03) * size, 0.3 * size, 0.7 * size))
        by_lightness = _dark_to_light(colours)
        dark, light = by_lightness[0], by_lightness[-1]
        middle = by_lightness[len(by_lightness) // 2]
        skin = _jitter(light if sum(light) < 700 else middle, rng, 8)
        clothes = _jitter(middle if len(by_lightness) > 2 else dark, rng, 12)
        head_y = size * rng.uniform(0.34, 0.42)
        rx, ry = size * rng.uniform(0.11, 0.14), size * rng.uniform(0.15, 0.18)
        tilt = rng.normal(0, 0.08)
        shoulders = size * rng.uniform(0.33, 0.42)
        top = head_y + ry * 1.2
        draw.ellipse(
            [cx - shoulders, top, cx + shoulders, top + 2 * (size - top) + size * 0.2],
            fill=clothes,
        )
        neck = rx * 0.45
        draw.rectangle([cx - neck, head_y + ry * 0.6, cx + neck, top + size * 0.04], fill=skin)

        def oval(dx: float, dy: float, ax: float, ay: float) -> list[tuple[float, float]]:
            angles = np.linspace(0, 2 * math.pi, 36, endpoint=False)
            px, py = dx + ax * np.cos(angles), dy + ay * np.sin(angles)
            cos, sin = math.cos(tilt), math.sin(tilt)
            return [
                (cx + u * cos - v * sin, head_y + u * sin + v * cos)
                for u, v in zip(px, py, strict=True)
            ]

        draw.polygon(oval(0, 0, rx, ry), fill=skin)
        # hair: an oval cap over the top of the head, drawn before the face marks
        draw.polygon(oval(0, -ry * 0.6, rx * 1.08, ry * 0.5), fill=dark)
        eye_y, eye_dx = ry * 0.02, rx * 0.38
        for side in (-1, 1):
            draw.polygon(oval(side * eye_dx, eye_y, rx * 0.13, ry * 0.06), fill=dark)
        nose = oval(0, ry * 0.2, rx * 0.06, ry * 0.16)
        draw.polygon(nose, fill=_jitter(middle, rng, 6))
        draw.polygon(oval(0, ry * 0.52, rx * 0.28, ry * 0.05), fill=dark)

    def _motif_street(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        """A street in one-point perspective: the road narrowing to a vanishing point, and a row
        of façades with their windows on each side, shrinking towards it."""
        size = self.size
        fx, _, _ = _focus(spec, size)
        vx = float(np.clip(fx + rng.normal(0, 0.04) * size, 0.3 * size, 0.7 * size))
        vy = size * rng.uniform(0.4, 0.5)
        by_lightness = _dark_to_light(colours)
        dark = by_lightness[0]
        road = _jitter(by_lightness[min(1, len(by_lightness) - 1)], rng, 10)
        draw.polygon(
            [(vx - 2, vy), (vx + 2, vy), (size * 0.85, size), (size * 0.15, size)], fill=road
        )

        def towards(x: float, y: float, t: float) -> tuple[float, float]:
            return x + (vx - x) * t, y + (vy - y) * t

        for edge in (0.0, float(size)):  # the left side's façades, then the right's
            t = 0.0
            while t < 0.85:
                depth = rng.uniform(0.12, 0.3) * (1 - t)  # nearer façades are wider
                t1 = min(t + depth, 0.9)
                height = size * rng.uniform(0.3, 0.55)
                corners = [
                    towards(edge, vy - height, t),
                    towards(edge, vy - height, t1),
                    towards(edge, size * 1.02, t1),
                    towards(edge, size * 1.02, t),
                ]
                draw.polygon(corners, fill=_jitter(_pick(rng, colours, True), rng, 14))
                draw.line([*corners, corners[0]], fill=dark, width=max(1, int(size * 0.003)))
                for row in np.linspace(0.15, 0.7, 4):
                    for col in (0.3, 0.7):
                        u = t + (t1 - t) * col
                        x, y = towards(edge, vy - height + height * row * 1.3, u)
                        w = size * 0.018 * (1 - u)
                        draw.rectangle([x - w, y - 1.6 * w, x + w, y + 1.6 * w], fill=dark)
                t = t1

    def _motif_rain(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        """Thin slanted streaks over the whole picture, lighter than what they cross."""
        size = self.size
        light = _dark_to_light(colours)[-1]
        slant = rng.uniform(0.15, 0.35)
        for _ in range(int(250 + 350 * spec.density)):
            x, y = rng.uniform(-0.2 * size, size), rng.uniform(0, size)
            length = size * rng.uniform(0.03, 0.08)
            draw.line(
                [(x, y), (x + slant * length, y + length)],
                fill=_jitter(light, rng, 12),
                width=max(1, int(size * 0.002)),
            )

    def _motif_hatching(self, draw: Draw, spec: RenderSpec, colours: Palette, rng: Rng) -> None:
        dark = _dark_to_light(colours)[0]
        clusters = self._count(spec, 3, 14)
        for x, y in self._positions(spec, rng, clusters):
            angle = rng.choice([math.pi / 4, -math.pi / 4, 0.0, math.pi / 2]) + rng.normal(0, 0.1)
            length = self.size * rng.uniform(0.05, 0.15)
            gap = self.size * rng.uniform(0.006, 0.014)
            for k in range(int(rng.integers(6, 18))):
                ox = x + k * gap * math.cos(angle + math.pi / 2)
                oy = y + k * gap * math.sin(angle + math.pi / 2)
                dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
                draw.line(
                    [(ox - dx, oy - dy), (ox + dx, oy + dy)],
                    fill=dark,
                    width=max(1, int(self.size * 0.0025)),
                )

    # marks and finish ---------------------------------------------------------------------
    def _brushwork(
        self, image: Image.Image, spec: RenderSpec, rng: np.random.Generator
    ) -> Image.Image:
        """Short strokes sampled from the picture itself, laid along a flow field."""
        size = self.size
        pixels = np.asarray(image)
        n = int(400 + 5000 * spec.brushwork * (0.4 + spec.density))
        phase_x, phase_y = rng.uniform(0, 6, 2)
        # per-stroke draws as rows, so n + k strokes are the same n strokes and k more
        uniform = np.random.default_rng(rng.integers(2**62)).random((n, 3))
        normal = np.random.default_rng(rng.integers(2**62)).standard_normal((n, 5))
        xs, ys = uniform[:, 0] * size, uniform[:, 1] * size
        curl = 1 - (spec.straightness + 1) / 2  # 0 straight … 1 curly
        field = (np.sin(xs / size * 6 + phase_x) + np.cos(ys / size * 5 + phase_y)) * math.pi * curl
        if spec.straightness > 0.3:
            field = np.round(field / (math.pi / 2)) * (math.pi / 2)
        angle = field + normal[:, 0] * (0.2 + 0.6 * spec.energy) * curl
        length = size * (0.008 + 0.02 * spec.brushwork) * (0.6 + 0.8 * uniform[:, 2])
        width = max(2, int(size * (0.003 + 0.006 * spec.brushwork)))
        draw = ImageDraw.Draw(image)
        ix = np.clip(xs.astype(int), 0, size - 1)
        iy = np.clip(ys.astype(int), 0, size - 1)
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
                width=width,
            )
        return image

    def _finish(
        self,
        canvas: np.ndarray,
        spec: RenderSpec,
        rng: np.random.Generator,
        tint: np.ndarray | None,
    ) -> np.ndarray:
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
            size = self.size
            fine = rng.standard_normal((size, size), dtype=np.float32)
            coarse = rng.standard_normal((size // 4, size // 4), dtype=np.float32)
            coarse = np.repeat(np.repeat(coarse, 4, axis=0), 4, axis=1)
            canvas = canvas + ((fine + coarse) * spec.grain * 0.06)[..., None]
        return (np.clip(canvas, 0, 1) * 255).astype(np.uint8)


def _style_of(inputs: PaintInputs) -> StyleTarget | None:
    """A profile without learned style (made before the network): the references' own."""
    if not inputs.references:
        return None
    network = style_network()
    vectors = [
        network.style_vector(decode_image(data, max_side=EXTRACTION_SIDE)).tolist()
        for data in inputs.references
    ]
    return StyleTarget(tuple(weighted_mean(vectors, [1.0] * len(vectors))))


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
    small = layout.resize((TRANSFORM_SIDE, TRANSFORM_SIDE), Image.Resampling.BILINEAR)
    painted = network.paint(np.asarray(small, dtype=np.float32) / 255.0, vector)
    up = Image.fromarray((np.clip(painted, 0, 1) * 255 + 0.5).astype(np.uint8))
    if soften:
        up = up.filter(ImageFilter.GaussianBlur(soften * TRANSFORM_SIDE / layout.width))
    up = up.resize(layout.size, Image.Resampling.LANCZOS)
    radius = DETAIL_RADIUS * layout.width / 1024
    # the high-pass of the layout's luma (the colours come from the network)
    luma = layout.convert("L")
    if soften:
        luma = luma.filter(ImageFilter.GaussianBlur(soften))
    sharp = np.asarray(luma, dtype=np.float32)
    detail = sharp - np.asarray(luma.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32)
    out = np.asarray(up, dtype=np.float32) + DETAIL_AMOUNT * detail[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
