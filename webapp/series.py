"""A series: several intents at once in one taste, from a run's confirmed taste or a library
version; each its own run in the queue, shown together on one page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from store import library
from store.blobs import reference_sizes
from store.runs import readable_profile, results
from store.series import parse_intents, series_from_library, series_from_run, series_runs
from tasteloop.config import ConfigError
from tasteloop.domain.run_settings import LoopSettings
from webapp import once
from webapp.access import owned_library_profile, owned_run
from webapp.db import db_session
from webapp.dispatch import engine_label, limit_problem, shape_errors, start_work
from webapp.htmx import poll_response
from webapp.profile_form import SHAPE_KEYS, parse_shape_fields, pick_values

bp = Blueprint("series", __name__)
KEY_LENGTH = 16  # secrets.token_urlsafe(12)


def _refused(problems: list[str], back: str) -> ResponseReturnValue:
    once.forget()
    for problem in problems:
        flash(problem)
    return redirect(back, code=303)


def _started(runs: list) -> ResponseReturnValue:
    db_session().commit()
    for run in runs:
        start_work(run)
    key = runs[0].series_key
    once.remember_result(url_for("series.show", key=key))
    return redirect(url_for("series.show", key=key), code=303)


def _engine_and_limits(count: int) -> tuple[tuple[str, dict[str, str]] | None, list[str]]:
    problem = limit_problem(starting=count)
    if problem:
        return None, [problem]
    try:
        return engine_label(), []
    except ConfigError as exc:
        return None, [str(exc)]


@bp.route("/runs/<public_id>/series", methods=["POST"])
@login_required
def from_run(public_id: str) -> ResponseReturnValue:
    run = owned_run(public_id, for_change=True)
    if not run.taste_confirmed:
        abort(404)
    back = url_for("runs.show", public_id=run.public_id, _anchor="series")
    repeat = once.earlier_result()
    if repeat is not None:
        return once.repeated(repeat, back)
    intents, errors = parse_intents(request.form.get("intents", ""))
    if not errors and readable_profile(run) is None:
        errors = ["This run's taste can no longer be read, so no series can start from it."]
    label, problems = _engine_and_limits(len(intents)) if not errors else (None, errors)
    if label is None:
        return _refused(problems, back)
    return _started(series_from_run(db_session(), run, intents, *label))


@bp.route("/library/<int:profile_id>/series", methods=["POST"])
@login_required
def from_library(profile_id: int) -> ResponseReturnValue:
    entry = owned_library_profile(profile_id, for_change=True)
    number = request.form.get("version", "")
    version = library.version_of(entry, int(number) if number.isdigit() else None)
    if version is None:
        abort(404)
    back = url_for("library.show", profile_id=entry.id, v=version.version, _anchor="series")
    repeat = once.earlier_result()
    if repeat is not None:
        return once.repeated(repeat, back)
    intents, errors = parse_intents(request.form.get("intents", ""))
    values = pick_values(request.form.to_dict(), SHAPE_KEYS)
    shape, shape_problems = parse_shape_fields(
        values, reference_sizes(db_session(), entry.references)
    )
    errors += shape_problems if shape is None else shape_errors(shape)
    label, problems = _engine_and_limits(len(intents)) if not errors else (None, errors)
    if label is None or shape is None:
        return _refused(problems, back)
    runs = series_from_library(
        db_session(), current_user, version, intents, LoopSettings(), *label, None, shape
    )
    return _started(runs)


def _context(key: str) -> dict[str, object]:
    if len(key) != KEY_LENGTH:
        abort(404)
    session = db_session()
    runs = [
        r
        for r in series_runs(session, key)
        if r.user_id == current_user.id or current_user.is_admin
    ]
    if not runs:
        abort(404)
    return {
        "key": key,
        "runs": runs,
        "shown": results(session, runs),
        "working": any(r.phase.polled for r in runs),
    }


@bp.route("/series/<key>")
@login_required
def show(key: str) -> ResponseReturnValue:
    return render_template("series/show.html", **_context(key))


@bp.route("/series/<key>/status")
@login_required
def status(key: str) -> ResponseReturnValue:
    context = _context(key)
    body = render_template("series/_runs.html", **context)
    return poll_response(body, keep_polling=bool(context["working"]))
