"""A new run from uploaded references: every file is checked before anything is stored."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from sqlalchemy.orm import Session

from store.blobs import save_blob
from store.models import LibraryReference, ReferenceImage, Run, User
from store.states import Phase
from tasteloop.domain.references import count_problem
from tasteloop.images import ImageError, reencode_upload


class UploadError(ValueError):
    """Uploads that cannot become a run; `problems` name each file and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# Decoding a 40-megapixel 16-bit PNG takes a few hundred MB for a moment: however many uploads
# arrive at once, a process decodes this many files at a time, so memory stays bounded.
MAX_CONCURRENT_DECODES = 2
_decoding = threading.BoundedSemaphore(MAX_CONCURRENT_DECODES)


def validate_uploads(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes, int, int]]:
    """Check the count, then every file, before anything is stored; re-encode the good ones."""
    wrong_count = count_problem(len(files))
    if wrong_count:
        raise UploadError([wrong_count])
    problems: list[str] = []
    named = [(name or f"file {i + 1}", data) for i, (name, data) in enumerate(files)]
    cleaned = []
    for name, data in named:
        try:
            with _decoding:
                clean, width, height = reencode_upload(data, name=name)
            cleaned.append((name, clean, width, height))
        except ImageError as exc:
            problems.append(f"{name}: {exc.reason}.")
    if problems:
        raise UploadError(problems)
    return cleaned


def create_run(
    session: Session,
    user: User,
    files: list[tuple[str, bytes]],
    engine: str,
    models: dict[str, str],
) -> Run:
    cleaned = validate_uploads(files)
    run = Run(
        user_id=user.id,
        phase=Phase.EXTRACTING,
        engine=engine,
        models=models,
        status_note="Queued for taste extraction",
    )
    session.add(run)
    session.flush()
    for position, (name, data, width, height) in enumerate(cleaned):
        sha = save_blob(session, data, width, height)
        session.add(
            ReferenceImage(
                run_id=run.id, position=position, blob_sha=sha, filename=_safe_name(name)
            )
        )
    return run


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:200] or "image"


def copy_references(
    session: Session, references: Iterable[ReferenceImage | LibraryReference], run_id: int
) -> None:
    """Give a run the same reference images (the blobs are shared, not copied)."""
    for ref in references:
        session.add(
            ReferenceImage(
                run_id=run_id, position=ref.position, blob_sha=ref.blob_sha, filename=ref.filename
            )
        )
