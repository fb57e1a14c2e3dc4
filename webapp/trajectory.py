"""The score trajectory as a small server-rendered SVG, with the same in words beside it (the
SVG's tooltips reach only a mouse)."""

from __future__ import annotations

from markupsafe import Markup, escape

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
    words = chart_words(points, threshold, gate_low)
    return Markup(
        f'<figure class="trajectory-figure"><svg class="trajectory" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(words)}">'
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
        f'class="threshold"><title>converges at {threshold:.1f}</title></line>'
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(gate_low):.1f}" y2="{y(gate_low):.1f}" '
        f'class="gate-line"><title>gate opens at {gate_low:.1f}</title></line>'
        f'<text x="2" y="{y(threshold) + 3:.1f}" class="axis">{threshold:g}</text>'
        f'<text x="2" y="{y(gate_low) + 3:.1f}" class="axis">{gate_low:g}</text>'
        f'<polyline points="{line}" class="line"/>{dots}{labels}</svg>'
        f'<figcaption class="muted">{escape(words)}</figcaption></figure>'
    )


def chart_words(points: list[tuple[int, float]], threshold: float, gate_low: float) -> str:
    """What the chart shows, as a sentence."""
    scores = ", ".join(f"{score:.1f}" for _, score in points)
    return (
        f"Score by iteration: {scores} (it converges at {threshold:.1f} and asks you from "
        f"{gate_low:.1f})."
    )
