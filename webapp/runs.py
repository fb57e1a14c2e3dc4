"""Runs: upload → extracting → confirm → generating → gate → done, with live updates over htmx."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from jobs.progress import current_step
from store.blobs import reference_sizes, run_blobs
from store.deletion import delete_run
from store.gates import NoteError, decide_gate
from store.models import Blob, Gate, Iteration, Run
from store.run_document import run_document
from store.runs import (
    choose_result,
    confirm_run,
    extracted_measurements,
    loop_settings,
    readable_profile,
    result_picture,
    retry_failed,
    run_again,
    stop_run,
    usage_totals,
    vary,
)
from store.states import GateDecision, Phase
from store.uploads import UploadError, create_run
from tasteloop.config import ConfigError, EngineSettings
from tasteloop.domain.profile_file import profile_document
from tasteloop.domain.references import count_problem
from tasteloop.domain.run_settings import MAX_CANDIDATES, MAX_INTENT
from tasteloop.domain.shape import references_aspect
from tasteloop.domain.subject import IntentReading
from tasteloop.domain.text import clean_text
from tasteloop.engines import intent_reading
from webapp import once
from webapp.access import owned_run, parse_id
from webapp.blobs import DOWNLOAD_FORMATS, download_response, serve_blob
from webapp.db import db_session
from webapp.dispatch import (
    engine_label,
    limit_problem,
    shape_errors,
    start_and_show,
    start_work,
)
from webapp.htmx import poll_response, poll_unchanged
from webapp.profile_form import form_values, parse_confirm
from webapp.progress import run_progress
from webapp.trajectory import trajectory_svg
from webapp.worker_status import no_worker_running, waiting_behind

bp = Blueprint("runs", __name__)


@bp.route("/")
def home() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("runs.new"))
    return render_template("home.html")


@bp.route("/runs/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("runs/new.html", errors=[], engine_name=engine_name())
    problem = limit_problem()
    if problem:  # before reading any file
        return render_template("runs/new.html", engine_name=engine_name(), errors=[problem]), 403
    uploads = [u for u in request.files.getlist("images") if u and (u.filename or u.content_length)]
    wrong_count = count_problem(len(uploads))
    if wrong_count:  # before reading or decoding any file
        return render_template(
            "runs/new.html", engine_name=engine_name(), errors=[wrong_count]
        ), 400
    files = [(u.filename or "", u.read()) for u in uploads]
    try:
        engine, models = engine_label()
    except ConfigError as exc:
        return render_template("runs/new.html", engine_name=engine_name(), errors=[str(exc)]), 500
    session = db_session()
    try:
        run = create_run(session, current_user, files, engine, models)
    except UploadError as exc:
        session.rollback()
        return render_template("runs/new.html", engine_name=engine_name(), errors=exc.problems), 400
    return start_and_show(run)


def engine_name() -> str:
    """The engine new runs will use ("" when it is not configured)."""
    try:
        return EngineSettings.from_env().engine
    except ConfigError:
        return ""


def _live_signals(run: Run) -> dict[str, Any]:
    """What the live partial shows besides the database: the queue and the workers (Redis)."""
    return {
        "no_worker": run.phase.working and no_worker_running(),
        "waiting": waiting_behind(run.id) if run.phase.working else None,
        "step": current_step(run.id) if run.phase == Phase.GENERATING else None,
    }


def live_version(run: Run, signals: dict[str, Any]) -> str:
    """Changes whenever the live partial would: every change to a run touches its row."""
    stamp = run.updated_at.timestamp() if run.updated_at else 0
    waiting, busy = signals["waiting"], int(signals["no_worker"])
    return f"{stamp:.6f}-{run.phase}-{waiting}-{busy}-{signals['step']}"


def _live_context(run: Run, signals: dict[str, Any] | None = None) -> dict[str, Any]:
    signals = signals or _live_signals(run)
    session = db_session()
    iterations = list(
        session.scalars(
            select(Iteration).where(Iteration.run_id == run.id).order_by(Iteration.index)
        )
    )
    gates = list(session.scalars(select(Gate).where(Gate.run_id == run.id).order_by(Gate.id)))
    open_gate = next((g for g in gates if g.decision is None), None)
    by_id = {it.id: it for it in iterations}
    result = by_id.get(run.result_iteration_id or 0)
    profile = readable_profile(run)
    chart = trajectory_svg(
        [(it.index, it.score) for it in iterations], run.threshold, run.gate_low, run.max_iterations
    )
    return {
        "run": run,
        "iterations": iterations,
        "open_gate": open_gate,
        "gate_of": {g.iteration_id: g for g in gates},
        # the picture the run shows (the person's choice, the loop's result or the best so far)
        "result": result,
        # its picture and score: the candidate the person chose, else the iteration's own
        "result_picture": result_picture(run, result) if result else None,
        "loop_result": by_id.get(run.final_iteration_id or 0),
        "profile": profile,
        "usage": usage_totals(run),
        "progress": run_progress(run, iterations, gates, signals["step"]),
        "chart": chart if iterations else "",
        "form": (
            form_values(profile, run.intent, len(run.references), loop_settings(run), run.shape)
            if run.phase == Phase.CONFIRM
            else None
        ),
        "form_errors": [],
        "intent_reading": reading_of(run.intent)
        if run.phase == Phase.CONFIRM and run.intent
        else None,
        "references_aspect": references_aspect(reference_sizes(session, run.references)),
        "restarted_to": session.scalar(
            select(Run.public_id).where(Run.restarted_from_id == run.id)
        ),
        **signals,
        "live_version": live_version(run, signals),
    }


@bp.route("/runs/<public_id>")
@login_required
def show(public_id: str) -> ResponseReturnValue:
    run = owned_run(public_id)
    return render_template("runs/show.html", **_live_context(run))


@bp.route("/runs/<public_id>/status")
@login_required
def status(public_id: str) -> ResponseReturnValue:
    run = owned_run(public_id)
    signals = _live_signals(run)
    if run.phase.polled and request.args.get("v") == live_version(run, signals):
        return poll_unchanged()  # most polls: nothing to render, htmx keeps the page
    body = render_template("runs/_live.html", **_live_context(run, signals))
    return poll_response(body, keep_polling=run.phase.polled)


def reading_of(intent: str) -> IntentReading | None:
    """What the configured engine will make of the intent (None when it is not configured)."""
    try:
        return intent_reading(EngineSettings.from_env(), clean_text(intent)[:MAX_INTENT])
    except ConfigError:
        return None


@bp.route("/intent-reading")
@login_required
def intent_reading_part() -> ResponseReturnValue:
    """The partial htmx swaps in as the person types the intent (confirm, library start)."""
    reading = reading_of(request.args.get("intent", ""))
    return render_template("runs/_intent_reading.html", reading=reading)


@bp.route("/runs/<public_id>/confirm", methods=["POST"])
@login_required
def confirm(public_id: str) -> ResponseReturnValue:
    run = owned_run(public_id)
    if run.phase != Phase.CONFIRM:
        flash("This run is past the confirm step.")
        return redirect(url_for("runs.show", public_id=run.public_id))
    sizes = reference_sizes(db_session(), run.references)
    parsed = parse_confirm(
        request.form.to_dict(), extracted_measurements(run), len(run.references), sizes
    )
    if parsed.shape is not None:
        parsed.errors += shape_errors(parsed.shape)
    if request.form.get("check"):  # without JavaScript: read the intent, change nothing
        context = _live_context(run)
        context.update(form=parsed.values, intent_reading=reading_of(parsed.intent))
        return render_template("runs/show.html", **context)
    problem = None if parsed.errors else limit_problem()
    if parsed.errors or problem:
        context = _live_context(run)
        context.update(form=parsed.values, form_errors=parsed.errors or [problem])
        return render_template("runs/show.html", **context), 400 if parsed.errors else 403
    assert parsed.profile is not None and parsed.settings is not None and parsed.shape
    confirm_run(db_session(), run, parsed.profile, parsed.intent, parsed.settings, parsed.shape)
    return start_and_show(run)


@bp.route("/runs/<public_id>/gate", methods=["POST"])
@login_required
def gate(public_id: str) -> ResponseReturnValue:
    run = owned_run(public_id)
    gate_id = parse_id(request.form.get("gate_id"))
    if gate_id is None or request.form.get("decision") not in set(GateDecision):
        abort(400)
    decision = GateDecision(request.form["decision"])
    problem = limit_problem() if decision is GateDecision.CONTINUE else None
    if problem:
        flash(problem)
        return redirect(url_for("runs.show", public_id=run.public_id), code=303)
    session = db_session()
    try:
        outcome = decide_gate(
            session, run, gate_id, decision, current_user, request.form.get("note")
        )
    except NoteError as exc:
        flash(str(exc))
        return redirect(url_for("runs.show", public_id=run.public_id), code=303)
    session.commit()
    flash(outcome.message)
    if outcome.resume:
        start_work(run)
    if outcome.new_run_id:
        fresh = session.get(Run, outcome.new_run_id)
        return redirect(url_for("runs.show", public_id=fresh.public_id), code=303)
    if request.form.get("next") == "admin" and current_user.is_admin:
        return redirect(url_for("admin.queue"))
    return redirect(url_for("runs.show", public_id=run.public_id), code=303)


@bp.route("/runs/<public_id>/retry", methods=["POST"])
@login_required
def retry(public_id: str) -> ResponseReturnValue:
    run = owned_run(public_id)
    session = db_session()
    problem = limit_problem() if run.phase == Phase.FAILED else None
    if problem:
        flash(problem)
        return redirect(url_for("runs.show", public_id=run.public_id))
    if not retry_failed(session, run):
        flash("This run is not stopped by an error; nothing to retry.")
        return redirect(url_for("runs.show", public_id=run.public_id))
    session.commit()
    if start_work(run):
        flash("Retrying from the last saved iteration.")
    return redirect(url_for("runs.show", public_id=run.public_id))


@bp.route("/runs/<public_id>/stop", methods=["POST"])
@login_required
def stop(public_id: str) -> ResponseReturnValue:
    """The owner or an admin ends a generating run; asking twice, or too late, changes nothing."""
    run = owned_run(public_id)
    session = db_session()
    message = stop_run(session, run)
    session.commit()
    flash(message)
    return redirect(url_for("runs.show", public_id=run.public_id), code=303)


@bp.route("/runs/<public_id>/result", methods=["POST"])
@login_required
def use_this_one(public_id: str) -> ResponseReturnValue:
    """The owner makes one iteration of a finished run its result."""
    run = owned_run(public_id, for_change=True)  # admins look; the result is the owner's choice
    number = parse_id(request.form.get("iteration"))
    raw_candidate = request.form.get("candidate")
    candidate = parse_id(raw_candidate) if raw_candidate else None
    if number is None or (raw_candidate and candidate is None):
        abort(400)
    session = db_session()
    flash(choose_result(session, run, number - 1, None if candidate is None else candidate - 1))
    session.commit()
    return redirect(url_for("runs.show", public_id=run.public_id, _anchor="run-live"), code=303)


@bp.route("/runs/<public_id>/compare")
@login_required
def compare(public_id: str) -> ResponseReturnValue:
    """Two iterations of a run side by side (?a=1&b=3, numbered as the page shows them)."""
    run = owned_run(public_id)
    iterations = {it.index + 1: it for it in run.iterations}
    numbers = [parse_id(request.args.get(key)) for key in ("a", "b")]
    pair = [iterations.get(n or 0) for n in numbers]
    if len(iterations) < 2 or None in pair:
        flash("Choose two iterations of this run to compare.")
        return redirect(url_for("runs.show", public_id=run.public_id))
    left, right = pair
    scores = [dict(it.breakdown or []) for it in pair]
    rows = [
        (dim, scores[0].get(dim), scores[1].get(dim))
        for dim in dict.fromkeys([*scores[0], *scores[1]])
    ]
    return render_template(
        "runs/compare.html",
        run=run,
        left=left,
        right=right,
        rows=rows,
        result_id=run.result_iteration_id,
        count=len(iterations),
    )


@bp.route("/runs/<public_id>/again", methods=["POST"])
@login_required
def again(public_id: str) -> ResponseReturnValue:
    """Run again: the same references, profile and settings, a new intent, to confirm."""
    run = owned_run(public_id, for_change=True)
    if not run.taste_confirmed:
        abort(404)
    repeat = once.earlier_result()
    if repeat is not None:
        return once.repeated(repeat, url_for("runs.show", public_id=run.public_id))
    try:
        engine, models = engine_label()
    except ConfigError as exc:
        once.forget()
        flash(str(exc))
        return redirect(url_for("runs.show", public_id=run.public_id), code=303)
    intent = clean_text(request.form.get("intent") or "")[:MAX_INTENT]
    session = db_session()
    fresh = run_again(session, run, intent, engine, models)
    session.commit()
    once.remember_result(url_for("runs.show", public_id=fresh.public_id))
    flash("A new run with the same references and taste: check it and confirm.")
    return redirect(url_for("runs.show", public_id=fresh.public_id), code=303)


@bp.route("/runs/<public_id>/vary", methods=["POST"])
@login_required
def more_like_this(public_id: str) -> ResponseReturnValue:
    """Variations of one of the run's pictures, as a new run that goes to work at once."""
    run = owned_run(public_id, for_change=True)
    number, count = parse_id(request.form.get("iteration")), parse_id(request.form.get("count"))
    iteration = next((it for it in run.iterations if number and it.index == number - 1), None)
    if iteration is None or count is None or not 2 <= count <= MAX_CANDIDATES:
        abort(400)
    repeat = once.earlier_result()
    if repeat is not None:
        return once.repeated(repeat, url_for("runs.show", public_id=run.public_id))
    problem = limit_problem()
    try:
        engine, models = engine_label()
    except ConfigError as exc:
        problem = str(exc)
    if problem or readable_profile(run) is None:
        once.forget()
        flash(problem or "This run's taste can no longer be read, so it cannot be varied.")
        return redirect(url_for("runs.show", public_id=run.public_id), code=303)
    fresh = vary(db_session(), run, iteration, count, engine, models)
    response = start_and_show(fresh)
    once.remember_result(url_for("runs.show", public_id=fresh.public_id))
    return response


@bp.route("/runs/<public_id>/delete", methods=["POST"])
@login_required
def delete(public_id: str) -> ResponseReturnValue:
    run = owned_run(public_id, for_change=True)  # admins look; only the owner deletes
    session = db_session()
    label = run.label
    delete_run(session, run)
    session.commit()
    flash(f"The run {label} is deleted, with its iterations and images.")
    return redirect(url_for("history.index"), code=303)


@bp.route("/runs/<public_id>/images/<sha>")
@login_required
def image(public_id: str, sha: str) -> ResponseReturnValue:
    run = owned_run(public_id)
    if len(sha) != 64 or sha not in run_blobs(db_session(), run.id):
        abort(404)
    return serve_blob(sha)


@bp.route("/runs/<public_id>/download/image")
@login_required
def download_image(public_id: str) -> ResponseReturnValue:
    """The result at full size: as stored, or in the format asked for (?format=png|jpeg|webp)."""
    run = owned_run(public_id)
    chosen = run.result_iteration_id
    session = db_session()
    iteration = session.get(Iteration, chosen) if chosen else None
    blob = session.get(Blob, result_picture(run, iteration)[0]) if iteration else None
    if blob is None:
        abort(404)
    asked = request.args.get("format", "")
    if asked and asked not in DOWNLOAD_FORMATS:
        abort(400)
    return download_response(blob, f"tasteloop-run-{run.public_id}", asked or None)


@bp.route("/runs/<public_id>/download/run.json")
@login_required
def download_run(public_id: str) -> ResponseReturnValue:
    """The run iteration by iteration and its result, as the command line's run.json."""
    run = owned_run(public_id)

    def image_url(sha: str) -> str:
        return url_for("runs.image", public_id=run.public_id, sha=sha, _external=True)

    response = current_app.json.response(run_document(run, image_url))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="tasteloop-run-{run.public_id}.json"'
    )
    return response


@bp.route("/runs/<public_id>/download/profile.json")
@login_required
def download_profile(public_id: str) -> ResponseReturnValue:
    run = owned_run(public_id)
    profile = readable_profile(run)
    if profile is None:
        abort(404)
    document = profile_document(profile, name=run.intent or "untitled run")
    if run.phase.past_confirm:
        document["shape"] = run.shape.to_dict()  # what this run painted at; imports ignore it
    response = current_app.json.response(document)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="tasteloop-profile-{run.public_id}.json"'
    )
    return response
