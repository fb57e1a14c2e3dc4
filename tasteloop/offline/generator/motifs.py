"""The motifs the offline generator can lay out, each drawn from its own random stream.

A motif is chosen by the words of prompt_words.MOTIF_WORDS; MOTIFS maps its name to the function
that draws it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tasteloop.offline.generator.layout import (
    Canvas,
    Draw,
    Rng,
    area,
    dark_to_light,
    jitter,
    pick,
    rectangle_outline,
    split,
)


def circles(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    spec, colours = canvas.spec, canvas.colours
    n = canvas.count(2, 14)
    for x, y in canvas.positions(rng, n):
        r = canvas.scale * rng.uniform(0.03, 0.16) * (1.2 - min(spec.density, 1.0) * 0.5)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=pick(rng, colours, True))


def planes(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    """Cut the frame into interlocking facets, finest where the composition gathers."""
    spec, colours = canvas.spec, canvas.colours
    width, height, scale = canvas.width, canvas.height, canvas.scale
    fx, fy, spread = canvas.focus()
    cells = [np.array([(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)])]
    for _ in range(canvas.count(6, 30)):
        centres = np.array([cell.mean(axis=0) for cell in cells])
        near = np.exp(-((centres[:, 0] - fx) ** 2 + (centres[:, 1] - fy) ** 2) / (2 * spread**2))
        weights = np.array([area(cell) for cell in cells]) * (0.2 + near)
        cell = cells.pop(int(rng.choice(len(cells), p=weights / weights.sum())))
        if spec.straightness > 0.3:  # ruler-straight: near-axis cuts
            angle = rng.choice([0.0, math.pi / 2]) + rng.normal(0, 0.04)
        else:
            angle = rng.uniform(0, math.pi)
        through = cell.mean(axis=0) + rng.normal(0, 0.15, 2) * np.sqrt(area(cell))
        cells += [part for part in split(cell, through, angle) if len(part) >= 3]
    filled = 0.45 + 0.5 * min(spec.density, 1.0)
    line = max(1, int(scale * 0.003))
    for cell in cells:
        points = [tuple(p) for p in cell]
        if rng.uniform() < filled:
            draw.polygon(points, fill=jitter(pick(rng, colours, False), rng, 14))
        draw.line([*points, points[0]], fill=(20, 20, 20), width=line)
    if spec.straightness < -0.2:  # curved facets over the cut planes
        for x, y in canvas.positions(rng, canvas.count(2, 10)):
            r = scale * rng.uniform(0.05, 0.2)
            start = rng.uniform(0, 2 * math.pi)
            angles = np.linspace(start, start + rng.uniform(1.5, 4.5), 16)
            squash = rng.uniform(0.4, 1.0)
            pts = [(x + r * math.cos(a), y + r * squash * math.sin(a)) for a in angles]
            draw.polygon(pts, fill=pick(rng, colours, True), outline=(20, 20, 20))


def grid(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    spec, colours = canvas.spec, canvas.colours
    scale = canvas.scale
    cells = [(0.0, 0.0, float(canvas.width), float(canvas.height))]
    splits = canvas.count(4, 18)
    for _ in range(splits):
        i = int(rng.integers(len(cells)))
        x0, y0, x1, y1 = cells.pop(i)
        if (x1 - x0) > (y1 - y0):
            cut = rng.uniform(x0 + (x1 - x0) * 0.25, x1 - (x1 - x0) * 0.25)
            cells += [(x0, y0, cut, y1), (cut, y0, x1, y1)]
        else:
            cut = rng.uniform(y0 + (y1 - y0) * 0.25, y1 - (y1 - y0) * 0.25)
            cells += [(x0, y0, x1, cut), (x0, cut, x1, y1)]
    line = max(3, int(scale * 0.012))
    # Curving asked for: bend the whole grid by one smooth warp, so neighbouring cells
    # still meet; straight or neutral prompts keep ruler-straight rectangles.
    bend = 0.05 * scale * min(1.0, max(0.0, -spec.straightness))
    phases = rng.uniform(0, 2 * math.pi, 2)
    for x0, y0, x1, y1 in cells:
        outline = rectangle_outline(x0, y0, x1, y1, canvas, bend, phases)
        if rng.uniform() < 0.45:
            draw.polygon(outline, fill=pick(rng, colours, True))
        draw.line([*outline, outline[0]], fill=(15, 15, 15), width=line, joint="curve")


def stripes(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    spec, colours = canvas.spec, canvas.colours
    n = canvas.count(3, 12)
    angle = 0.0 if spec.straightness >= 0 else rng.uniform(-0.4, 0.4)
    for _ in range(n):
        y = rng.uniform(0, canvas.height)
        w = canvas.scale * rng.uniform(0.01, 0.05)
        dy = math.tan(angle) * canvas.width
        draw.polygon(
            [(0, y), (canvas.width, y + dy), (canvas.width, y + dy + w), (0, y + w)],
            fill=pick(rng, colours, True),
        )


def waves(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    colours = canvas.colours
    n = canvas.count(3, 14)
    xs = np.linspace(0, canvas.width, 80)
    for _ in range(n):
        y0 = rng.uniform(canvas.height * 0.55, canvas.height * 0.98)
        amp = canvas.scale * rng.uniform(0.005, 0.03)
        freq = rng.uniform(2, 8) * canvas.width / canvas.scale  # the same wavelength at any shape
        phase = rng.uniform(0, 6.3)
        ys = y0 + amp * np.sin(xs / canvas.width * freq * 2 * math.pi + phase)
        draw.line(
            list(zip(xs, ys, strict=True)),
            fill=pick(rng, colours, True),
            width=max(2, int(canvas.scale * rng.uniform(0.003, 0.012))),
        )


def horizon(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    colours = canvas.colours
    n = canvas.count(1, 6)
    for _ in range(n):
        x = rng.uniform(0, canvas.width)
        h = canvas.scale * rng.uniform(0.05, 0.25)
        w = canvas.scale * rng.uniform(0.02, 0.1)
        base = canvas.height * rng.uniform(0.52, 0.62)
        draw.polygon([(x - w, base), (x, base - h), (x + w, base)], fill=pick(rng, colours, True))


def blobs(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    spec, colours = canvas.spec, canvas.colours
    n = canvas.count(2, 12)
    for x, y in canvas.positions(rng, n):
        r = canvas.scale * rng.uniform(0.05, 0.18) * (1.2 - min(spec.density, 1.0) * 0.5)
        angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
        wobble = 1 + 0.25 * np.sin(angles * rng.integers(2, 5) + rng.uniform(0, 6))
        pts = [
            (x + r * w * math.cos(a), y + r * w * math.sin(a))
            for a, w in zip(angles, wobble, strict=True)
        ]
        draw.polygon(pts, fill=pick(rng, colours, True))


def lines(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    spec, colours = canvas.spec, canvas.colours
    n = canvas.count(3, 25)
    for x, y in canvas.positions(rng, n):
        pts = [(x, y)]
        heading = rng.uniform(0, 2 * math.pi)
        for _ in range(12):
            heading += rng.normal(0, 0.3 * (1 - spec.straightness))
            x += math.cos(heading) * canvas.scale * 0.03
            y += math.sin(heading) * canvas.scale * 0.03
            pts.append((x, y))
        draw.line(pts, fill=pick(rng, colours, False), width=max(1, int(canvas.scale * 0.004)))


def swirls(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    """Vortices built of short thick strokes laid along rings around a bright core, so the
    style network gets brushwork to paint rather than a drawn spiral line."""
    colours = canvas.colours
    scale = canvas.scale
    width = max(2, int(scale * 0.011))
    stroke = scale * 0.03
    for x, y in canvas.positions(rng, canvas.count(2, 10)):
        r_max = scale * rng.uniform(0.05, 0.14)
        base = np.array(pick(rng, colours, True), dtype=np.float32)
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
                colour = jitter(tuple((base * (1 - mix) + light * mix).astype(int)), rng, 10)
                draw.line(
                    [
                        (x + r * math.cos(a), y + r * math.sin(a)),
                        (x + r1 * math.cos(a1), y + r1 * math.sin(a1)),
                    ],
                    fill=colour,
                    width=width,
                )


def figure(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    """A head-and-shoulders figure: shoulders, neck, head, hair and the marks of a face,
    in the palette's tones (dark clothes and hair, the lightest colour for the skin)."""
    colours = canvas.colours
    width, height, scale = canvas.width, canvas.height, canvas.scale
    fx, _, _ = canvas.focus()
    cx = float(np.clip(fx + rng.normal(0, 0.03) * width, 0.3 * width, 0.7 * width))
    by_lightness = dark_to_light(colours)
    dark, light = by_lightness[0], by_lightness[-1]
    middle = by_lightness[len(by_lightness) // 2]
    skin = jitter(light if sum(light) < 700 else middle, rng, 8)
    clothes = jitter(middle if len(by_lightness) > 2 else dark, rng, 12)
    # the head sits where it would in a square picture of the short side, centred in the long
    head_y = (height - scale) / 2 + scale * rng.uniform(0.34, 0.42)
    rx, ry = scale * rng.uniform(0.11, 0.14), scale * rng.uniform(0.15, 0.18)
    tilt = rng.normal(0, 0.08)
    shoulders = scale * rng.uniform(0.33, 0.42)
    top = head_y + ry * 1.2
    draw.ellipse(
        [cx - shoulders, top, cx + shoulders, top + 2 * (height - top) + scale * 0.2],
        fill=clothes,
    )
    neck = rx * 0.45
    draw.rectangle([cx - neck, head_y + ry * 0.6, cx + neck, top + scale * 0.04], fill=skin)

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
    draw.polygon(nose, fill=jitter(middle, rng, 6))
    draw.polygon(oval(0, ry * 0.52, rx * 0.28, ry * 0.05), fill=dark)


def street(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    """A street in one-point perspective: the road narrowing to a vanishing point, and a row
    of façades with their windows on each side, shrinking towards it."""
    colours = canvas.colours
    width, height, scale = canvas.width, canvas.height, canvas.scale
    fx, _, _ = canvas.focus()
    vx = float(np.clip(fx + rng.normal(0, 0.04) * width, 0.3 * width, 0.7 * width))
    vy = height * rng.uniform(0.4, 0.5)
    by_lightness = dark_to_light(colours)
    dark = by_lightness[0]
    road = jitter(by_lightness[min(1, len(by_lightness) - 1)], rng, 10)
    draw.polygon(
        [(vx - 2, vy), (vx + 2, vy), (width * 0.85, height), (width * 0.15, height)], fill=road
    )

    def towards(x: float, y: float, t: float) -> tuple[float, float]:
        return x + (vx - x) * t, y + (vy - y) * t

    for edge in (0.0, float(width)):  # the left side's façades, then the right's
        t = 0.0
        while t < 0.85:
            depth = rng.uniform(0.12, 0.3) * (1 - t)  # nearer façades are wider
            t1 = min(t + depth, 0.9)
            tall = height * rng.uniform(0.3, 0.55)
            corners = [
                towards(edge, vy - tall, t),
                towards(edge, vy - tall, t1),
                towards(edge, height * 1.02, t1),
                towards(edge, height * 1.02, t),
            ]
            draw.polygon(corners, fill=jitter(pick(rng, colours, True), rng, 14))
            draw.line([*corners, corners[0]], fill=dark, width=max(1, int(scale * 0.003)))
            for row in np.linspace(0.15, 0.7, 4):
                for col in (0.3, 0.7):
                    u = t + (t1 - t) * col
                    x, y = towards(edge, vy - tall + tall * row * 1.3, u)
                    w = scale * 0.018 * (1 - u)
                    draw.rectangle([x - w, y - 1.6 * w, x + w, y + 1.6 * w], fill=dark)
            t = t1


def rain(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    """Thin slanted streaks over the whole picture, lighter than what they cross."""
    spec, colours = canvas.spec, canvas.colours
    width, height, scale = canvas.width, canvas.height, canvas.scale
    light = dark_to_light(colours)[-1]
    slant = rng.uniform(0.15, 0.35)
    streaks = (250 + 350 * spec.density) * width * height / scale**2  # as dense at any shape
    for _ in range(int(streaks)):
        x, y = rng.uniform(-0.2 * width, width), rng.uniform(0, height)
        length = scale * rng.uniform(0.03, 0.08)
        draw.line(
            [(x, y), (x + slant * length, y + length)],
            fill=jitter(light, rng, 12),
            width=max(1, int(scale * 0.002)),
        )


def hatching(draw: Draw, canvas: Canvas, rng: Rng) -> None:
    colours = canvas.colours
    dark = dark_to_light(colours)[0]
    clusters = canvas.count(3, 14)
    for x, y in canvas.positions(rng, clusters):
        angle = rng.choice([math.pi / 4, -math.pi / 4, 0.0, math.pi / 2]) + rng.normal(0, 0.1)
        length = canvas.scale * rng.uniform(0.05, 0.15)
        gap = canvas.scale * rng.uniform(0.006, 0.014)
        for k in range(int(rng.integers(6, 18))):
            ox = x + k * gap * math.cos(angle + math.pi / 2)
            oy = y + k * gap * math.sin(angle + math.pi / 2)
            dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
            draw.line(
                [(ox - dx, oy - dy), (ox + dx, oy + dy)],
                fill=dark,
                width=max(1, int(canvas.scale * 0.0025)),
            )


MOTIFS: dict[str, Callable[[Draw, Canvas, Rng], None]] = {
    "circles": circles,
    "planes": planes,
    "grid": grid,
    "stripes": stripes,
    "waves": waves,
    "horizon": horizon,
    "blobs": blobs,
    "lines": lines,
    "swirls": swirls,
    "figure": figure,
    "street": street,
    "rain": rain,
    "hatching": hatching,
}
