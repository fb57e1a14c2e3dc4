"""Runs: upload → extracting → confirm → generating → gate → done, with live updates over htmx."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from jobs.queue import enqueue_advance, enqueue_extract, enqueue_stage
from store.models import Blob, Gate, Iteration, Phase, ReferenceImage, Run
from store.runs import (
    Decision,
    UploadError,
    confirm_run,
    create_run,
    decide_gate,
    latest_profile,
    record_failure,
    retry_failed,
    usage_totals,
)
from tasteloop.config import ConfigError, EngineSettings
from tasteloop.taste.profile_file import profile_document
from webapp import db_session
from webapp.access import owned_run
from webapp.blobs import POLL_STOP, blob_response, serve_blob
from webapp.profile_form import form_values, parse_confirm
from webapp.settings import MAX_FILES
from webapp.trajectory import trajectory_svg

bp = Blueprint("runs", __name__)
log = logging.getLogger(__name__)


def engine_label() -> tuple[str, dict[str, str]]:
    settings = EngineSettings.from_env()
    if settings.engine == "gateway":
        return "gateway", {
            "extract": settings.vision_model,
            "generate": settings.image_model,
            "critique": settings.vision_model,
        }
    return "offline", {
        "extract": "offline-measured-extractor",
        "generate": "offline-procedural-renderer",
        "critique": "offline-measured-critic",
    }


@bp.route("/")
def home():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(url_for("runs.new"))
    return render_template("home.html")


@bp.route("/runs/new", methods=["GET", "POST"])
@login_required
def new():  # noqa: ANN201
    if request.method == "GET":
        return render_template("runs/new.html", errors=[])
    uploads = request.files.getlist("images")
    files = [
        (u.filename or "", u.read()) for u in uploads if u and (u.filename or u.content_length)
    ]
    if len(files) > MAX_FILES + 10:
        abort(413)
    try:
        engine, models = engine_label()
    except ConfigError as exc:
        return render_template("runs/new.html", errors=[str(exc)]), 500
    session = db_session()
    try:
        run = create_run(session, current_user, files, engine, models)
        session.commit()
    except UploadError as exc:
        session.rollback()
        return render_template("runs/new.html", errors=exc.problems), 400
    _enqueue_or_fail(run, "extract")
    return redirect(url_for("runs.show", run_id=run.id))


def _enqueue_or_fail(run: Run, stage: str) -> None:
    """Enqueue after the commit; if the queue is down, say so on the run (retryable)."""
    try:
        if stage == "extract":
            enqueue_extract(run.id)
        else:
            enqueue_advance(run.id)
    except Exception as exc:  # noqa: BLE001
        log.exception("could not enqueue run %s", run.id)
        session = db_session()
        session.refresh(run)
        record_failure(
            session,
            run,
            stage if stage == "extract" else "generate",
            f"The job queue is unavailable ({exc}). Try again in a moment.",
            True,
        )
        session.commit()


def _live_context(run: Run) -> dict:
    session = db_session()
    iterations = list(
        session.scalars(
            select(Iteration).where(Iteration.run_id == run.id).order_by(Iteration.index)
        )
    )
    open_gate = session.scalar(select(Gate).where(Gate.run_id == run.id, Gate.decision.is_(None)))
    final = session.get(Iteration, run.final_iteration_id) if run.final_iteration_id else None
    best = session.get(Iteration, run.best_iteration_id) if run.best_iteration_id else None
    profile = latest_profile(run)
    extracted = run.profiles[0] if run.profiles else None
    return {
        "run": run,
        "iterations": iterations,
        "open_gate": open_gate,
        "final": final,
        "best": best,
        "profile": profile,
        "extracted_version": extracted,
        "usage": usage_totals(run),
        "chart": trajectory_svg(
            [(it.index, it.score) for it in iterations],
            run.threshold,
            run.gate_low,
            run.max_iterations,
        )
        if iterations
        else "",
        "polling": run.phase in Phase.WORKING,
        "poll_ms": current_app.config["POLL_MS"],
        "form": form_values(profile, run.intent) if run.phase == Phase.CONFIRM else None,
        "form_errors": [],
        "restarted_to": session.scalar(select(Run.id).where(Run.restarted_from_id == run.id)),
    }


@bp.route("/runs/<int:run_id>")
@login_required
def show(run_id: int):  # noqa: ANN201
    run = owned_run(run_id)
    return render_template("runs/show.html", **_live_context(run))


@bp.route("/runs/<int:run_id>/status")
@login_required
def status(run_id: int):  # noqa: ANN201
    run = owned_run(run_id)
    body = render_template("runs/_live.html", **_live_context(run))
    return Response(body, status=200 if run.phase in Phase.WORKING else POLL_STOP)


@bp.route("/runs/<int:run_id>/confirm", methods=["POST"])
@login_required
def confirm(run_id: int):  # noqa: ANN201
    run = owned_run(run_id)
    if run.phase != Phase.CONFIRM:
        flash("This run is past the confirm step.")
        return redirect(url_for("runs.show", run_id=run.id))
    measurements = run.profiles[0].data.get("measurements") if run.profiles else None
    parsed = parse_confirm(request.form.to_dict(), measurements)
    if parsed.errors:
        context = _live_context(run)
        context.update(form=parsed.values, form_errors=parsed.errors)
        return render_template("runs/show.html", **context), 400
    assert parsed.profile is not None and parsed.settings is not None
    session = db_session()
    confirm_run(session, run, parsed.profile, parsed.intent, parsed.settings)
    session.commit()
    _enqueue_or_fail(run, "advance")
    return redirect(url_for("runs.show", run_id=run.id))


@bp.route("/runs/<int:run_id>/gate", methods=["POST"])
@login_required
def gate(run_id: int):  # noqa: ANN201
    run = owned_run(run_id)
    try:
        decision = Decision(request.form.get("decision", ""))
        gate_id = int(request.form.get("gate_id", ""))
    except ValueError:
        abort(400)
    session = db_session()
    outcome = decide_gate(session, run, gate_id, decision, current_user)
    session.commit()
    flash(outcome.message)
    if outcome.enqueue_advance:
        _enqueue_or_fail(run, "advance")
    if outcome.new_run_id:
        return redirect(url_for("runs.show", run_id=outcome.new_run_id))
    target = request.form.get("next", "")
    if target == "admin" and current_user.is_admin:
        return redirect(url_for("admin.queue"))
    return redirect(url_for("runs.show", run_id=run.id), code=303)


@bp.route("/runs/<int:run_id>/retry", methods=["POST"])
@login_required
def retry(run_id: int):  # noqa: ANN201
    run = owned_run(run_id)
    session = db_session()
    stage = retry_failed(session, run)
    session.commit()
    if stage is None:
        flash("This run is not stopped by an error; nothing to retry.")
    else:
        try:
            enqueue_stage(stage, run.id)
            flash("Retrying from the last saved iteration.")
        except Exception:  # noqa: BLE001
            _enqueue_or_fail(run, stage)
    return redirect(url_for("runs.show", run_id=run.id))


def _blob_belongs_to_run(run: Run, sha: str) -> bool:
    session = db_session()
    if session.scalar(
        select(ReferenceImage.id).where(
            ReferenceImage.run_id == run.id, ReferenceImage.blob_sha == sha
        )
    ):
        return True
    if session.scalar(
        select(Iteration.id).where(Iteration.run_id == run.id, Iteration.image_sha == sha)
    ):
        return True
    candidate_lists = session.scalars(
        select(Iteration.candidates).where(Iteration.run_id == run.id)
    )
    return any(c.get("image_sha") == sha for cands in candidate_lists for c in cands or [])


@bp.route("/runs/<int:run_id>/images/<sha>")
@login_required
def image(run_id: int, sha: str):  # noqa: ANN201
    run = owned_run(run_id)
    if len(sha) != 64 or not _blob_belongs_to_run(run, sha):
        abort(404)
    return serve_blob(sha)


@bp.route("/runs/<int:run_id>/download/image")
@login_required
def download_image(run_id: int):  # noqa: ANN201
    run = owned_run(run_id)
    chosen = run.final_iteration_id or run.best_iteration_id
    if chosen is None:
        abort(404)
    session = db_session()
    iteration = session.get(Iteration, chosen)
    blob = session.get(Blob, iteration.image_sha)  # type: ignore[union-attr]
    extension = "png" if blob.mime_type == "image/png" else "jpg"  # type: ignore[union-attr]
    return blob_response(blob, f"tasteloop-run-{run.id}.{extension}")  # type: ignore[arg-type]


@bp.route("/runs/<int:run_id>/download/profile.json")
@login_required
def download_profile(run_id: int):  # noqa: ANN201
    run = owned_run(run_id)
    profile = latest_profile(run)
    if profile is None:
        abort(404)
    response = jsonify(profile_document(profile, name=run.intent or f"run {run.id}"))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="tasteloop-profile-{run.id}.json"'
    )
    return response
