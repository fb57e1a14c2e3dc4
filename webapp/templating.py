"""Jinja filters and helpers shared by the templates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup, escape

from store.library import MAX_NAME
from store.spending import usd
from store.states import (
    DECISION_LABELS,
    OUTCOME_LABELS,
    STAGE_LABELS,
    Outcome,
    Phase,
    Stage,
    run_words,
)
from tasteloop.domain.profile import DIMENSION_LABELS, MAX_SWATCHES, SENTENCE_FIELDS, SWATCH
from tasteloop.domain.run_settings import (
    DEFAULT_GATE_LOW,
    DEFAULT_THRESHOLD,
    MAX_CANDIDATES,
    MAX_GATE_NOTE,
    MAX_INTENT,
    LoopSettings,
    Verdict,
    score_band,
)
from tasteloop.domain.shape import ASPECTS, SIZES, PictureShape, orientation
from tasteloop.domain.subject import SubjectVerdict
from webapp.credentials import MIN_PASSWORD
from webapp.once import once_token
from webapp.profile_form import DEFAULT_SETTINGS, LOOP_BOUNDS
from webapp.progress import duration


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every stored one is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _epoch(moment: datetime) -> int:
    return int(_utc(moment).timestamp())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "–"


# what each engine role does, in a person's words (the engine details on a run's page)
ROLE_LABELS = {"extract": "reads the taste", "generate": "paints", "critique": "judges"}

SCORE_CLASSES = {
    Verdict.CONVERGED: "score-high",
    Verdict.GATE: "score-mid",
    Verdict.REVISE: "score-low",
}


ONE_SCALE = LoopSettings(threshold=DEFAULT_THRESHOLD, gate_low=DEFAULT_GATE_LOW)


def _score_class(score: float | None) -> str:
    """The colour of a score: the default bands for every run, so scores compare at a glance."""
    if score is None:
        return "score-none"
    return SCORE_CLASSES[score_band(score, ONE_SCALE)]


def _swatches(palette: list[str] | None) -> Markup:
    """A profile's colours drawn as swatches (SVG fill: CSP-safe)."""
    colours = [c for c in palette or [] if SWATCH.fullmatch(c)]
    if not colours:
        return Markup("")
    rects = "".join(
        f'<rect x="{i * 28}" y="0" width="24" height="24" rx="4" fill="{escape(c)}">'
        f"<title>{escape(c)}</title></rect>"
        for i, c in enumerate(colours)
    )
    return Markup(
        f'<svg class="swatches" viewBox="0 0 {len(colours) * 28} 24" width="{len(colours) * 28}" '
        f'height="24" role="img" aria-label="colours: {escape(", ".join(colours))}">{rects}</svg>'
    )


def _subject(raw: dict[str, Any] | None) -> SubjectVerdict | None:
    """A stored subject verdict, to show (None for an iteration from before they were judged)."""
    return SubjectVerdict.model_validate(raw) if raw else None


def _aspect_groups() -> list[tuple[str, list[str]]]:
    """The offered aspects by orientation, for the shape menu."""
    return [
        (name.capitalize(), [a for a in ASPECTS if orientation(a) == name])
        for name in ("square", "portrait", "landscape")
    ]


def _poll_ms() -> dict[str, Any]:
    return {"POLL_MS": current_app.config["POLL_MS"]}


def _box(shape: PictureShape, long_side: int) -> Markup:
    """A painted picture's width and height attributes at `long_side`, in its run's shape (so the
    page keeps its place for it before it loads)."""
    width, height = shape.pixels(long_side)
    return Markup(f'width="{width}" height="{height}"')


def register_template_globals(app: Flask) -> None:
    """The vocabulary, labels and bounds the templates use, so none is typed twice."""
    app.jinja_env.filters.update(
        swatches=_swatches,
        when=_when,
        usd=usd,
        epoch=_epoch,
        subject=_subject,
        duration=duration,
        box=_box,
    )
    env = app.jinja_env
    env.globals.update(score_class=_score_class, Phase=Phase, Stage=Stage, Outcome=Outcome)
    env.globals.update(OUTCOME_LABELS=OUTCOME_LABELS, STAGE_LABELS=STAGE_LABELS)
    env.globals.update(DECISION_LABELS=DECISION_LABELS)
    env.globals.update(run_words=run_words)
    env.globals.update(
        DIMENSION_LABELS=DIMENSION_LABELS,
        SENTENCE_FIELDS=SENTENCE_FIELDS,
        MAX_SWATCHES=MAX_SWATCHES,
    )
    env.globals.update(DEFAULT_SETTINGS=DEFAULT_SETTINGS, LOOP_BOUNDS=LOOP_BOUNDS)
    env.globals.update(MAX_INTENT=MAX_INTENT, MAX_NAME=MAX_NAME, MIN_PASSWORD=MIN_PASSWORD)
    env.globals.update(MAX_GATE_NOTE=MAX_GATE_NOTE, once_token=once_token)
    env.globals.update(ASPECT_GROUPS=_aspect_groups(), PICTURE_SIZES=SIZES, orientation=orientation)
    env.globals.update(MAX_CANDIDATES=MAX_CANDIDATES, ROLE_LABELS=ROLE_LABELS)
    app.context_processor(_poll_ms)
