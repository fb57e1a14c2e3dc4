"""The taste library pages: keep, version, reuse, export and import named profiles."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from jobs.queue import enqueue_reextract
from store import library
from store.blobs import reference_sizes
from store.models import LibraryProfile, LibraryReference, LibraryVersion, Run
from store.runs import results
from tasteloop.config import ConfigError
from tasteloop.domain.profile_file import MAX_FILE_BYTES, ProfileFileError
from tasteloop.domain.shape import references_aspect
from webapp import once
from webapp.access import owned_library_profile, owned_run
from webapp.blobs import serve_blob
from webapp.db import db_session
from webapp.dispatch import (
    engine_label,
    limit_problem,
    queue_problem,
    shape_errors,
    start_and_show,
)
from webapp.htmx import poll_response
from webapp.pages import before_arg, keyset_page
from webapp.profile_form import (
    PROFILE_KEYS,
    SETTINGS_KEYS,
    SHAPE_KEYS,
    form_values,
    intent_errors,
    parse_profile,
    parse_settings,
    parse_shape_fields,
    parse_style,
    pick_values,
    style_keys,
    style_values,
)

bp = Blueprint("library", __name__, url_prefix="/library")
log = logging.getLogger(__name__)


def library_rows(entries: list[LibraryProfile]) -> list[dict[str, Any]]:
    """What a library card shows of each entry, one query per table for the page."""
    session = db_session()
    ids = [e.id for e in entries]
    counts = library.run_counts(session, ids)
    made = library.latest_results(session, ids)
    rows = []
    for e in entries:
        chosen = library.chosen_version(e)
        rows.append(
            {
                "entry": e,
                "chosen": chosen,
                "profile": library.profile_of(chosen),
                "runs": counts.get(e.id, 0),
                "made": made.get(e.id),
            }
        )
    return rows


def _index(errors: list[str]) -> str:
    """The person's library, newest first, a keyset page at a time."""
    query = select(LibraryProfile).where(LibraryProfile.user_id == current_user.id)
    page = keyset_page(query, LibraryProfile.id, before_arg())
    return render_template(
        "library/index.html", rows=library_rows(page.rows), page=page, errors=errors
    )


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    return _index([])


@bp.route("/import", methods=["POST"])
@login_required
def import_profile() -> ResponseReturnValue:
    upload = request.files.get("profile_file")
    data = upload.read(MAX_FILE_BYTES + 1) if upload else b""
    filename = (upload.filename or "") if upload else ""
    session = db_session()
    try:
        if not upload or not filename:
            raise ProfileFileError("choose a profile JSON file to import")
        entry = library.import_file(session, current_user, data, filename)
        session.commit()
    except library.AlreadyKept as kept:
        session.rollback()
        return _to_kept(kept)
    except (ProfileFileError, library.LibraryError) as exc:
        session.rollback()
        message = f"{filename or 'The file'}: {exc}."
        return _index([message]), 400
    flash(f"Imported “{entry.name}” into your library.")
    return redirect(url_for("library.show", profile_id=entry.id))


@bp.route("/save-run/<public_id>", methods=["POST"])
@login_required
def save_run(public_id: str) -> ResponseReturnValue:
    run = owned_run(public_id, for_change=True)
    repeat = once.earlier_result()
    if repeat is not None:
        return once.repeated(repeat, url_for("runs.show", public_id=run.public_id))
    session = db_session()
    try:
        entry = library.save_from_run(session, run, current_user, request.form.get("name", ""))
        session.commit()
    except library.AlreadyKept as kept:
        session.rollback()
        response = _to_kept(kept)
        once.remember_result(response.location)
        return response
    except library.LibraryError as exc:
        session.rollback()
        once.forget()
        flash(str(exc))
        return redirect(url_for("runs.show", public_id=run.public_id))
    flash(f"Saved to your library as “{entry.name}”.")
    made = url_for("library.show", profile_id=entry.id)
    once.remember_result(made)
    return redirect(made)


def _to_kept(kept: library.AlreadyKept) -> Response:
    flash(str(kept))
    return redirect(url_for("library.show", profile_id=kept.entry.id, v=kept.version.version))


def _back_to(entry: LibraryProfile, message: str) -> ResponseReturnValue:
    flash(message)
    return redirect(url_for("library.show", profile_id=entry.id))


def _version_or_404(entry: LibraryProfile, raw: str | None) -> LibraryVersion:
    try:
        number = int(raw) if raw else None
    except ValueError:
        abort(404)
    version = library.version_of(entry, number)
    if version is None:
        abort(404)
    return version


def _detail_context(
    entry: LibraryProfile, version: LibraryVersion, **extra: object
) -> dict[str, Any]:
    profile = library.profile_of(version)
    fields = form_values(profile)
    session = db_session()
    runs = list(
        session.scalars(
            select(Run)
            .join(LibraryVersion, Run.library_version_id == LibraryVersion.id)
            .where(LibraryVersion.profile_id == entry.id)
            .order_by(Run.created_at.desc())
        )
    )
    context = {
        "scores": {run_id: score for run_id, (_sha, score) in results(session, runs).items()},
        "entry": entry,
        "version": version,
        "chosen": library.chosen_version(entry),
        "profile": profile,
        "runs": runs,
        "pending": library.reextract_pending(entry),
        "edit_form": fields,
        "edit_errors": [],
        "start_form": {
            "intent": "",
            **{k: v for k, v in fields.items() if k in (*SETTINGS_KEYS, *SHAPE_KEYS)},
            **style_values(profile.style, len(entry.references)),
        },
        "references_aspect": references_aspect(reference_sizes(session, entry.references)),
        "start_errors": [],
        "owner": entry.user_id == current_user.id,
    }
    context.update(extra)
    return context


@bp.route("/<int:profile_id>")
@login_required
def show(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id)
    version = _version_or_404(entry, request.args.get("v"))
    return render_template("library/show.html", **_detail_context(entry, version))


@bp.route("/<int:profile_id>/rename", methods=["POST"])
@login_required
def rename(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id, for_change=True)
    try:
        library.rename(entry, request.form.get("name", ""))
    except library.LibraryError as exc:
        return _back_to(entry, str(exc))
    db_session().commit()
    return _back_to(entry, f"Renamed to “{entry.name}”.")


@bp.route("/<int:profile_id>/edit", methods=["POST"])
@login_required
def edit(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id, for_change=True)
    base = _version_or_404(entry, request.form.get("base"))
    values = pick_values(request.form.to_dict(), PROFILE_KEYS)
    profile, errors = parse_profile(values, None, library.profile_of(base).style)
    if errors or profile is None:
        context = _detail_context(entry, base, edit_form=values, edit_errors=errors)
        return render_template("library/show.html", **context), 400
    if profile.same_taste(library.profile_of(base)):
        return _back_to(entry, "Nothing changed, so no new version was made.")
    session = db_session()
    version = library.edit(session, entry, base, profile)
    session.commit()
    return _back_to(
        entry,
        f"Saved as version {version.version}, which new runs now start from; "
        "earlier versions are kept.",
    )


@bp.route("/<int:profile_id>/choose", methods=["POST"])
@login_required
def choose(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id, for_change=True)
    version = _version_or_404(entry, request.form.get("version"))
    library.choose_version(entry, version)
    db_session().commit()
    return _back_to(entry, f"New runs now start from version {version.version}.")


@bp.route("/<int:profile_id>/delete", methods=["POST"])
@login_required
def delete(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id, for_change=True)
    name = entry.name
    session = db_session()
    library.delete(session, entry)
    session.commit()
    flash(f"Deleted “{name}”. Runs that used it keep their own copy of the profile.")
    return redirect(url_for("library.index"))


@bp.route("/<int:profile_id>/start", methods=["POST"])
@login_required
def start(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id, for_change=True)
    repeat = once.earlier_result()
    if repeat is not None:
        return once.repeated(repeat, url_for("library.show", profile_id=entry.id))
    version = _version_or_404(entry, request.form.get("version"))
    count = len(entry.references)
    keys = ("intent", *SETTINGS_KEYS, *SHAPE_KEYS, *style_keys(count))
    values = pick_values(request.form.to_dict(), keys)
    settings, errors = parse_settings(values)
    style, style_errors = parse_style(values, count)
    shape, shape_problems = parse_shape_fields(
        values, reference_sizes(db_session(), entry.references)
    )
    if shape is not None:
        shape_problems = shape_errors(shape)
    errors = intent_errors(values["intent"]) + style_errors + errors + shape_problems
    if not errors:
        try:
            engine, models = engine_label()
        except ConfigError as exc:
            errors = [str(exc)]
    if not errors and style is not None:
        try:
            library.profile_of(version).with_style(style)
        except ValueError as exc:  # weights that do not fit this version's measurements
            errors = [f"These style controls do not fit this profile: {exc}"]
    problem = None if errors else limit_problem()
    if errors or problem or settings is None or style is None or shape is None:
        once.forget()
        context = _detail_context(
            entry, version, start_form=values, start_errors=errors or [problem]
        )
        return render_template("library/show.html", **context), 403 if problem else 400
    run = library.start_run(
        db_session(),
        current_user,
        version,
        values["intent"].strip(),
        settings,
        engine,
        models,
        style,
        shape,
    )
    response = start_and_show(run)
    once.remember_result(url_for("runs.show", public_id=run.public_id))
    return response


@bp.route("/<int:profile_id>/reextract", methods=["POST"])
@login_required
def reextract(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id, for_change=True)
    session = db_session()
    problem = limit_problem()  # a re-extraction is work in flight, and may cost money
    if problem:
        session.rollback()
        return _back_to(entry, problem)
    try:
        library.request_reextract(entry)
        session.commit()
    except library.LibraryError as exc:
        return _back_to(entry, str(exc))
    problem = queue_problem(lambda: enqueue_reextract(entry.id), f"re-extraction {entry.id}")
    if problem:
        library.record_reextract_failure(entry, problem)
        session.commit()
    return redirect(url_for("library.show", profile_id=entry.id))


@bp.route("/<int:profile_id>/reextract/status")
@login_required
def reextract_status(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id)
    pending = library.reextract_pending(entry)
    body = render_template(
        "library/_reextract.html",
        entry=entry,
        pending=pending,
        owner=True,
        chosen=library.chosen_version(entry),
    )
    return poll_response(body, keep_polling=pending)


@bp.route("/<int:profile_id>/compare")
@login_required
def compare(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id)
    left = _version_or_404(entry, request.args.get("a") or str(entry.versions[0].version))
    right = _version_or_404(entry, request.args.get("b"))
    return render_template(
        "library/compare.html",
        entry=entry,
        left=left,
        right=right,
        left_profile=library.profile_of(left),
        right_profile=library.profile_of(right),
    )


@bp.route("/<int:profile_id>/export.json")
@login_required
def export(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id)
    version = _version_or_404(entry, request.args.get("v"))
    with_references = request.args.get("references") == "1"
    document = library.export_document(db_session(), entry, version, with_references)
    response = Response(json.dumps(document, indent=2), mimetype="application/json")
    name = export_name(entry.name, version.version, with_references)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_name(taste: str, version: int, with_references: bool) -> str:
    """Says the taste and the version, and which of the two exports it is."""
    words = "".join(c if c.isascii() and c.isalnum() else "-" for c in taste.lower())
    words = words.split("-")
    slug = "-".join(w for w in words if w)[:60].strip("-") or "profile"
    extra = "-with-references" if with_references else ""
    return f"tasteloop-{slug}-v{version}{extra}.json"


@bp.route("/<int:profile_id>/images/<sha>")
@login_required
def image(profile_id: int, sha: str) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id)
    owned = db_session().scalar(
        select(LibraryReference.id).where(
            LibraryReference.profile_id == entry.id, LibraryReference.blob_sha == sha
        )
    )
    if not owned:
        abort(404)
    return serve_blob(sha)
