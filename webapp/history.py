"""The signed-in user's past runs, newest first."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from store.models import Iteration, ReferenceImage, Run
from store.runs import results
from store.spending import Limits, active_runs, spent_this_month
from webapp.db import db_session

bp = Blueprint("history", __name__)


def run_rows(user_id: int | None = None) -> list[dict]:
    """One query per table for the whole list (no per-run queries)."""
    session = db_session()
    query = select(Run).order_by(Run.created_at.desc(), Run.id.desc())
    if user_id is not None:
        query = query.where(Run.user_id == user_id)
    else:
        query = query.options(joinedload(Run.user))
    runs = list(session.scalars(query))
    ids = [r.id for r in runs]
    counts = dict(
        session.execute(
            select(Iteration.run_id, func.count(Iteration.id))
            .where(Iteration.run_id.in_(ids))
            .group_by(Iteration.run_id)
        ).all()
    )
    shown = results(session, runs)
    thumbs = {run_id: sha for run_id, (sha, _score) in shown.items()}
    scores = {run_id: score for run_id, (_sha, score) in shown.items()}
    for run_id, sha in session.execute(
        select(ReferenceImage.run_id, ReferenceImage.blob_sha).where(
            ReferenceImage.run_id.in_(ids), ReferenceImage.position == 0
        )
    ):
        thumbs.setdefault(run_id, sha)
    return [
        {
            "run": r,
            "iterations": counts.get(r.id, 0),
            "score": scores.get(r.id),
            "thumb": thumbs.get(r.id),
        }
        for r in runs
    ]


@bp.route("/history")
@login_required
def index() -> ResponseReturnValue:
    session = db_session()
    limits = Limits.from_env()
    spending = {
        "spent": spent_this_month(session, [current_user]).get(current_user.id, 0.0),
        "cap": limits.cap_for(current_user),
        "active": active_runs(session, [current_user.id]).get(current_user.id, 0),
        "max_active": limits.max_active_runs,
    }
    return render_template("history.html", rows=run_rows(current_user.id), spending=spending)
