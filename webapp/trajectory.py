"""The score trajectory as a small server-rendered SVG."""

from __future__ import annotations

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 320, 120, 18


def trajectory_svg(
    points: list[tuple[int, float]], threshold: float, gate_low: float, max_iterations: int
) -> Markup:
    span = max(1, max(max_iterations, len(points)) - 1)

    def x(index: int) -> float:
        return PAD + (WIDTH - 2 * PAD) * index / span

    def y(score: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * score / 10

    line = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, s in points)
    dots = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(s):.1f}" r="4" class="dot"><title>iteration {i + 1}: '
        f"{s:.1f}</title></circle>"
        for i, s in points
    )
    labels = "".join(
        f'<text x="{x(i):.1f}" y="{HEIGHT - 3}" class="axis">{i + 1}</text>'
        for i in range(span + 1)
    )
    return Markup(
        f'<svg class="trajectory" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="score per iteration">'
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
        f'class="threshold"><title>converges at {threshold:.1f}</title></line>'
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(gate_low):.1f}" y2="{y(gate_low):.1f}" '
        f'class="gate-line"><title>gate opens at {gate_low:.1f}</title></line>'
        f'<text x="2" y="{y(threshold) + 3:.1f}" class="axis">{threshold:g}</text>'
        f'<text x="2" y="{y(gate_low) + 3:.1f}" class="axis">{gate_low:g}</text>'
        f'<polyline points="{line}" class="line"/>{dots}{labels}</svg>'
    )
