"""Handing a run to the workers: after the commit, enqueue its phase's job, or say on the run
that the queue is down (retryable)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from jobs.queue import enqueue_for, forget_requeues
from store.models import Run
from store.runs import record_failure
from store.spending import start_problem
from store.states import Stage
from tasteloop.config import ConfigError, EngineSettings
from tasteloop.domain.shape import PictureShape
from tasteloop.engines import costs_money, engine_models, shape_problem
from webapp.db import db_session

log = logging.getLogger(__name__)


def engine_label() -> tuple[str, dict[str, str]]:
    """The engine a new run will use and its models by role (ConfigError if misconfigured)."""
    settings = EngineSettings.from_env()
    return settings.engine, engine_models(settings)


def shape_errors(shape: PictureShape) -> list[str]:
    """Why the configured engine cannot paint at this shape, as form errors (none when it can)."""
    try:
        problem = shape_problem(EngineSettings.from_env(), shape)
    except ConfigError:
        return []  # the misconfiguration is reported where the run starts
    return [problem] if problem else []


def limit_problem(starting: int = 1) -> str | None:
    """Why the signed-in person may not put another run (or `starting` runs) to work now
    (spending limits), or None."""
    try:
        paid = costs_money(EngineSettings.from_env().engine)
    except ConfigError:
        paid = True  # the misconfiguration is reported where the run starts
    return start_problem(db_session(), current_user, costs_money=paid, starting=starting)


def queue_problem(enqueue: Callable[[], object], what: str) -> str | None:
    """Run `enqueue` (after the commit it follows); if the queue is down, say so in a sentence
    the person can act on."""
    try:
        enqueue()
    except Exception as exc:  # noqa: BLE001 - any queue failure is shown to the person
        log.exception("could not enqueue %s", what)
        return f"The job queue is unavailable ({exc}). Try again in a moment."
    return None


def start_work(run: Run) -> bool:
    """Enqueue the run's job (call after committing its phase); False if the queue is down.
    A person started it: the sweeper's count of times it had to queue the run starts again."""

    def hand_over() -> None:
        forget_requeues(run.id)
        enqueue_for(run.id, run.phase)

    problem = queue_problem(hand_over, f"run {run.id}")
    if problem is None:
        return True
    session = db_session()
    session.refresh(run)
    record_failure(run, Stage.of(run.phase), problem, retryable=True)
    session.commit()
    return False


def start_and_show(run: Run) -> Response:
    """Commit the run's new working phase, hand it to the workers, and show its page."""
    db_session().commit()
    start_work(run)
    return redirect(url_for("runs.show", public_id=run.public_id))
