"""The taste library: named profiles a user keeps, in versions that are never overwritten.

A run that starts from the library copies the version's profile into its own history and
records which version it used, so renaming, editing or deleting the library entry never
changes a past run.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store.blobs import blob_bytes, remove_unreferenced_blobs, save_blob
from store.models import (
    LibraryProfile,
    LibraryReference,
    LibraryVersion,
    Run,
    User,
    utcnow,
)
from store.runs import confirm_run, readable_profile, results
from store.states import Phase
from store.uploads import copy_references
from tasteloop.domain.profile import StyleControls, TasteProfile
from tasteloop.domain.profile_file import ProfileFileError, parse_profile_document, profile_document
from tasteloop.domain.references import MAX_REFERENCES
from tasteloop.domain.run_settings import LoopSettings
from tasteloop.domain.shape import SQUARE, PictureShape
from tasteloop.images import ImageError, data_url_for_model, reencode_upload

MAX_NAME = 120
EXPORT_THUMBNAIL_PX = 512
REEXTRACT_STALE_AFTER = timedelta(minutes=10)
REEXTRACTED = "re-extracted"


class LibraryError(ValueError):
    """A library action the user asked for cannot be done; the message says why."""


class AlreadyKept(LibraryError):
    """The taste is in the person's library already: nothing new is made."""

    def __init__(self, entry: LibraryProfile, version: LibraryVersion) -> None:
        super().__init__(
            f"This taste is already in your library as “{entry.name}” (version "
            f"{version.version}), so nothing new was added."
        )
        self.entry = entry
        self.version = version


def clean_name(name: str) -> str:
    cleaned = " ".join("".join(c for c in name if c.isprintable()).split())
    if not cleaned:
        raise LibraryError("Give the profile a name.")
    if len(cleaned) > MAX_NAME:
        raise LibraryError(f"Keep the name to {MAX_NAME} characters or fewer.")
    return cleaned


def latest_version(profile: LibraryProfile) -> LibraryVersion:
    return profile.versions[-1]


def chosen_version(profile: LibraryProfile) -> LibraryVersion:
    """The version new runs start from: the one the person picked, else their latest own
    version (saved, edited or imported). A re-extraction is offered, never taken silently."""
    picked = version_of(profile, profile.chosen_version) if profile.chosen_version else None
    if picked is not None:
        return picked
    own = [v for v in profile.versions if v.source != REEXTRACTED]
    return own[-1] if own else latest_version(profile)


def choose_version(profile: LibraryProfile, version: LibraryVersion) -> None:
    profile.chosen_version = version.version


def version_of(profile: LibraryProfile, number: int | None) -> LibraryVersion | None:
    if number is None:
        return chosen_version(profile)
    return next((v for v in profile.versions if v.version == number), None)


def already_kept(session: Session, user_id: int, profile: TasteProfile) -> None:
    """Refuse a save or import of a taste one of the person's versions already holds."""
    versions = session.scalars(
        select(LibraryVersion)
        .join(LibraryProfile, LibraryVersion.profile_id == LibraryProfile.id)
        .where(LibraryProfile.user_id == user_id)
        .order_by(LibraryVersion.id.desc())
    )
    for version in versions:
        if profile_of(version).same_taste(profile):
            raise AlreadyKept(version.profile, version)


def profile_of(version: LibraryVersion) -> TasteProfile:
    return TasteProfile.model_validate(version.data)


def _add_version(
    session: Session, entry: LibraryProfile, profile: TasteProfile, source: str, note: str = ""
) -> LibraryVersion:
    version = LibraryVersion(
        profile=entry,
        version=(entry.versions[-1].version + 1) if entry.versions else 1,
        source=source,
        note=note,
        data=profile.stored(),
    )
    session.add(version)
    entry.updated_at = utcnow()
    session.flush()
    return version


def confirmed_profile(run: Run) -> TasteProfile | None:
    """The profile the run was confirmed with; None while it is still being extracted/edited."""
    return readable_profile(run) if run.phase.past_confirm else None


def save_from_run(session: Session, run: Run, user: User, name: str) -> LibraryProfile:
    profile = confirmed_profile(run)
    if profile is None:
        raise LibraryError("Confirm the profile first; then it can be saved to your library.")
    already_kept(session, user.id, profile)
    entry = LibraryProfile(user_id=user.id, name=clean_name(name))
    session.add(entry)
    for ref in run.references:
        entry.references.append(
            LibraryReference(position=ref.position, blob_sha=ref.blob_sha, filename=ref.filename)
        )
    version = _add_version(session, entry, profile, "saved", f"saved from the run {run.label}")
    if run.library_version_id is None:
        run.library_version_id = version.id
    return entry


def rename(entry: LibraryProfile, name: str) -> None:
    entry.name = clean_name(name)
    entry.updated_at = utcnow()


def edit(
    session: Session, entry: LibraryProfile, base: LibraryVersion, profile: TasteProfile
) -> LibraryVersion:
    """An edit of `base` is a new version, and the one new runs start from; the measurements
    of the version it was edited from travel on."""
    if profile.measurements is None:
        previous = profile_of(base).measurements
        profile = profile.model_copy(update={"measurements": previous})
    version = _add_version(session, entry, profile, "edited")
    choose_version(entry, version)
    return version


def add_reextracted(
    session: Session, entry: LibraryProfile, profile: TasteProfile
) -> LibraryVersion:
    entry.reextract_requested_at = None
    entry.reextract_error = None
    return _add_version(session, entry, profile, REEXTRACTED, "re-extracted from the references")


def record_reextract_failure(entry: LibraryProfile, message: str) -> None:
    """Shown on the library page; the button works again so it can be asked once more."""
    entry.reextract_requested_at = None
    entry.reextract_error = message[:2000]


def request_reextract(entry: LibraryProfile) -> None:
    if not entry.references:
        raise LibraryError("This profile has no reference images to extract from.")
    if reextract_pending(entry):
        raise LibraryError("A re-extraction is already under way.")
    entry.reextract_requested_at = utcnow()
    entry.reextract_error = None


def reextractions_under_way(session: Session, user_id: int) -> int:
    """This person's library entries with a re-extraction asked for and not yet stale."""
    since = utcnow() - REEXTRACT_STALE_AFTER
    found = session.scalar(
        select(func.count(LibraryProfile.id)).where(
            LibraryProfile.user_id == user_id, LibraryProfile.reextract_requested_at > since
        )
    )
    return int(found or 0)


def reextract_pending(entry: LibraryProfile) -> bool:
    requested = entry.reextract_requested_at
    if requested is None:
        return False
    if requested.tzinfo is None:  # SQLite hands back naive datetimes
        requested = requested.replace(tzinfo=utcnow().tzinfo)
    return utcnow() - requested < REEXTRACT_STALE_AFTER


def delete(session: Session, entry: LibraryProfile) -> None:
    """Runs that used it keep their own profile copy; only their link to the entry goes. Its
    reference images go too, unless a run or another entry uses them."""
    shas = {ref.blob_sha for ref in entry.references}
    version_ids = [v.id for v in entry.versions]
    if version_ids:
        session.execute(
            update(Run)
            .where(Run.library_version_id.in_(version_ids))
            .values(library_version_id=None)
            .execution_options(synchronize_session=False)
        )
    session.delete(entry)
    session.flush()
    remove_unreferenced_blobs(session, shas)


def latest_results(session: Session, profile_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each entry's newest run with a picture, as (its public id, the picture it shows)."""
    shown = Run.result_iteration_id
    newest = session.execute(
        select(LibraryVersion.profile_id, func.max(Run.id))
        .join(Run, Run.library_version_id == LibraryVersion.id)
        .where(LibraryVersion.profile_id.in_(profile_ids), shown.is_not(None))
        .group_by(LibraryVersion.profile_id)
    ).all()
    runs = list(session.scalars(select(Run).where(Run.id.in_([r for _, r in newest]))))
    shas = {run_id: sha for run_id, (sha, _score) in results(session, runs).items()}
    public = {run.id: run.public_id for run in runs}
    return {
        profile_id: (public[run_id], shas[run_id])
        for profile_id, run_id in newest
        if run_id in shas
    }


def run_counts(session: Session, profile_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(LibraryVersion.profile_id, func.count(Run.id))
        .join(Run, Run.library_version_id == LibraryVersion.id)
        .where(LibraryVersion.profile_id.in_(profile_ids))
        .group_by(LibraryVersion.profile_id)
    )
    return {profile_id: count for profile_id, count in rows}


def start_run(
    session: Session,
    user: User,
    version: LibraryVersion,
    intent: str,
    settings: LoopSettings,
    engine: str,
    models: dict[str, str],
    style: StyleControls | None = None,
    shape: PictureShape = SQUARE,
) -> Run:
    """A run that skips upload and extraction: straight to generating with this version,
    under the person's style controls (the version's own when None), at `shape`."""
    entry = version.profile
    run = Run(
        user_id=user.id,
        phase=Phase.CONFIRM,
        engine=engine,
        models=models,
        library_version_id=version.id,
    )
    session.add(run)
    session.flush()
    copy_references(session, entry.references, run.id)
    session.flush()
    session.refresh(run)
    profile = profile_of(version)
    confirm_run(
        session, run, profile.with_style(style) if style else profile, intent, settings, shape
    )
    return run


def export_document(
    session: Session, entry: LibraryProfile, version: LibraryVersion, with_references: bool
) -> dict[str, Any]:
    references = None
    if with_references and entry.references:
        references = [
            _thumbnail_data_url(blob_bytes(session, ref.blob_sha)) for ref in entry.references
        ]
    document = profile_document(profile_of(version), entry.name, references)
    document["version"] = version.version
    return document


def _thumbnail_data_url(data: bytes) -> str:
    return data_url_for_model(data, EXPORT_THUMBNAIL_PX)


def import_file(session: Session, user: User, data: bytes, filename: str) -> LibraryProfile:
    """Validate everything first; add nothing unless the whole file is usable."""
    if not data:
        raise ProfileFileError("the file is empty")
    profile, document = parse_profile_document(data)
    already_kept(session, user.id, profile)
    images = _embedded_references(document.get("references"))
    raw_name = document.get("name") if isinstance(document.get("name"), str) else ""
    fallback = filename.rsplit("/", 1)[-1].removesuffix(".json")[:MAX_NAME] or "Imported taste"
    try:
        name = clean_name(raw_name or fallback)
    except LibraryError:
        name = clean_name(fallback) if fallback.strip() else "Imported taste"
    entry = LibraryProfile(user_id=user.id, name=name)
    session.add(entry)
    for position, (clean, width, height) in enumerate(images):
        sha = save_blob(session, clean, width, height)
        entry.references.append(
            LibraryReference(
                position=position, blob_sha=sha, filename=f"reference-{position + 1}.jpg"
            )
        )
    _add_version(session, entry, profile, "imported", f"imported from {filename or 'a file'}")
    return entry


def _embedded_references(value: object) -> list[tuple[bytes, int, int]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProfileFileError("'references' must be a list of image data URLs")
    if len(value) > MAX_REFERENCES:
        raise ProfileFileError(
            f"the file embeds {len(value)} references; at most {MAX_REFERENCES} are allowed"
        )
    images = []
    for number, url in enumerate(value, start=1):
        head, _, payload = url.partition(",")
        if not head.startswith("data:image/") or not head.endswith(";base64"):
            raise ProfileFileError(f"reference {number} is not a base64 image data URL")
        try:
            raw = base64.b64decode(payload, validate=True)
        except binascii.Error:
            raise ProfileFileError(f"reference {number} is not valid base64") from None
        try:
            images.append(reencode_upload(raw, name=f"reference {number}"))
        except ImageError as exc:
            raise ProfileFileError(f"reference {number}: {exc.reason}") from None
    return images
