"""Image bytes, stored once by content hash and shared by every run and library entry."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import String, cast, delete, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Blob, Iteration, LibraryReference, ReferenceImage, utcnow
from tasteloop.images import sniff_mime


def save_blob(session: Session, data: bytes, width: int = 0, height: int = 0) -> str:
    """Store bytes once by SHA-256. Two workers may store the same image at the same moment
    (same prompt and seed in two runs), so the insert must tolerate the other one winning; and
    a deletion may be removing the same image (offline images are deterministic), so the row is
    held until the caller commits (PostgreSQL: a key-share lock; SQLite: the caller's write
    transaction has begun, and no other writer commits before it)."""
    sha = hashlib.sha256(data).hexdigest()
    postgres = session.get_bind().dialect.name == "postgresql"
    stored = (
        session.execute(
            select(Blob.sha256).where(Blob.sha256 == sha).with_for_update(key_share=True)
        ).first()
        if postgres
        else session.get(Blob, sha)
    )
    if stored is None:
        insert = pg_insert if postgres else sqlite_insert
        session.execute(
            insert(Blob)
            .values(
                sha256=sha,
                mime_type=sniff_mime(data),
                size=len(data),
                width=width,
                height=height,
                data=data,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
    return sha


def blob_bytes(session: Session, sha: str) -> bytes:
    blob = session.get(Blob, sha)
    if blob is None:
        raise LookupError(f"image {sha[:12]}… is missing from the database")
    return blob.data


def references_bytes(
    session: Session, references: list[ReferenceImage] | list[LibraryReference]
) -> list[bytes]:
    """The stored bytes of a run's or a library entry's reference images, in order."""
    return [blob_bytes(session, ref.blob_sha) for ref in references]


def reference_sizes(
    session: Session, references: list[ReferenceImage] | list[LibraryReference]
) -> list[tuple[int, int]]:
    """(width, height) of each reference as stored, for "as my references"."""
    shas = [ref.blob_sha for ref in references]
    rows = dict(
        (sha, (w, h))
        for sha, w, h in session.execute(
            select(Blob.sha256, Blob.width, Blob.height).where(Blob.sha256.in_(shas))
        )
    )
    return [rows[sha] for sha in shas if sha in rows and all(rows[sha])]


def run_blobs(session: Session, run_id: int) -> set[str]:
    """Every image of a run: its references, its iterations' images and their candidates."""
    shas = set(
        session.scalars(select(ReferenceImage.blob_sha).where(ReferenceImage.run_id == run_id))
    )
    for image_sha, candidates in session.execute(
        select(Iteration.image_sha, Iteration.candidates).where(Iteration.run_id == run_id)
    ):
        shas.add(image_sha)
        shas.update(c["image_sha"] for c in candidates or [] if c.get("image_sha"))
    return shas


def remove_unreferenced_blobs(session: Session, shas: Iterable[str]) -> int:
    """Delete those of `shas` that no reference, iteration, candidate or library image uses.

    On PostgreSQL a turn storing the same image holds its row (save_blob) and may commit a use
    of it while this waits: the delete then fails its foreign key, and the image is kept (a
    savepoint keeps the rest of the caller's work). SQLite runs one writer at a time."""
    removed = 0
    postgres = session.get_bind().dialect.name == "postgresql"
    for sha in shas:
        if _blob_in_use(session, sha):
            continue
        if not postgres:
            removed += session.execute(delete(Blob).where(Blob.sha256 == sha)).rowcount
            continue
        try:
            with session.begin_nested():
                removed += session.execute(delete(Blob).where(Blob.sha256 == sha)).rowcount
        except IntegrityError:
            pass  # in use after all: a concurrent turn stored it
    return removed


def _blob_in_use(session: Session, sha: str) -> bool:
    used = (
        exists().where(ReferenceImage.blob_sha == sha),
        exists().where(Iteration.image_sha == sha),
        # candidate lists are JSON; the hash is 64 hex characters, so a text match is exact
        exists().where(cast(Iteration.candidates, String).contains(sha)),
        exists().where(LibraryReference.blob_sha == sha),
    )
    return any(session.scalar(select(condition)) for condition in used)
