"""A series: several intents made at once in one taste, each its own run in the queue, judged
against the same profile and shown together on one page."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import library
from store.models import LibraryVersion, Run, User
from store.runs import start_copy
from tasteloop.domain.profile import StyleControls
from tasteloop.domain.run_settings import MAX_INTENT, LoopSettings
from tasteloop.domain.shape import PictureShape
from tasteloop.domain.text import clean_text

MIN_SERIES, MAX_SERIES = 2, 8


def parse_intents(text: str) -> tuple[list[str], list[str]]:
    """One intent per line (blank lines ignored, repeats once); errors in the page's words."""
    intents = list(
        dict.fromkeys(line.strip() for line in clean_text(text or "", multiline=True).splitlines())
    )
    intents = [intent for intent in intents if intent]
    errors = []
    if not MIN_SERIES <= len(intents) <= MAX_SERIES:
        errors.append(
            f"A series is {MIN_SERIES} to {MAX_SERIES} things to make, one per line; "
            f"this has {len(intents)}."
        )
    long = [intent for intent in intents if len(intent) > MAX_INTENT]
    if long:
        errors.append(f"Keep each line to {MAX_INTENT} characters: “{long[0][:40]}…” is longer.")
    return intents, errors


def new_key() -> str:
    return secrets.token_urlsafe(12)


def series_from_run(
    session: Session, run: Run, intents: list[str], engine: str, models: dict[str, str]
) -> list[Run]:
    """A run per intent with `run`'s references, confirmed taste, settings and shape."""
    key = new_key()
    return [start_copy(session, run, intent, engine, models, series_key=key) for intent in intents]


def series_from_library(
    session: Session,
    user: User,
    version: LibraryVersion,
    intents: list[str],
    settings: LoopSettings,
    engine: str,
    models: dict[str, str],
    style: StyleControls | None,
    shape: PictureShape,
) -> list[Run]:
    """A run per intent from this library version, each straight to generating."""
    key = new_key()
    runs = []
    for intent in intents:
        run = library.start_run(
            session, user, version, intent, settings, engine, models, style, shape
        )
        run.series_key = key
        runs.append(run)
    return runs


def series_runs(session: Session, key: str) -> list[Run]:
    """The series' runs in the order they were made."""
    return list(session.scalars(select(Run).where(Run.series_key == key).order_by(Run.id)))
