"""Jinja filters and helpers shared by the templates."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from markupsafe import Markup, escape

from tasteloop.taste.profile import DIMENSION_LABELS


def _elapsed(start: datetime | None, end: datetime | None = None) -> str:
    if start is None:
        return "–"
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    finish = end or datetime.now(UTC)
    if finish.tzinfo is None:
        finish = finish.replace(tzinfo=UTC)
    seconds = max(0, int((finish - start).total_seconds()))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "–"


def _score_class(score: float | None, threshold: float = 8.0, gate_low: float = 6.0) -> str:
    if score is None:
        return "score-none"
    if score >= threshold:
        return "score-high"
    if score >= gate_low:
        return "score-mid"
    return "score-low"


_HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def _swatches(text: str | None) -> Markup:
    """The hex colours a palette sentence names, drawn as swatches (SVG fill: CSP-safe)."""
    colours = list(dict.fromkeys(_HEX.findall(text or "")))[:8]
    if not colours:
        return Markup("")
    rects = "".join(
        f'<rect x="{i * 28}" y="0" width="24" height="24" rx="4" fill="{escape(c)}">'
        f"<title>{escape(c)}</title></rect>"
        for i, c in enumerate(colours)
    )
    return Markup(
        f'<svg class="swatches" viewBox="0 0 {len(colours) * 28} 24" width="{len(colours) * 28}" '
        f'height="24" role="img" aria-label="palette">{rects}</svg>'
    )


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["swatches"] = _swatches
    app.jinja_env.filters["elapsed"] = _elapsed
    app.jinja_env.filters["when"] = _when
    app.jinja_env.globals["score_class"] = _score_class
    app.jinja_env.globals["DIMENSION_LABELS"] = DIMENSION_LABELS
