"""Admin: the review queue of open gates across all users, and the log of gate decisions."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from store.models import Gate, Phase, Run
from webapp import db_session
from webapp.access import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@admin_required
def queue():  # noqa: ANN201
    gates = (
        db_session()
        .scalars(
            select(Gate)
            .join(Run)
            .where(Gate.decision.is_(None), Run.phase == Phase.GATED)
            .options(joinedload(Gate.iteration), joinedload(Gate.run).joinedload(Run.user))
            .order_by(Gate.opened_at, Gate.id)
        )
        .all()
    )
    return render_template("admin/queue.html", gates=gates)


@bp.route("/decisions")
@admin_required
def decisions():  # noqa: ANN201
    gates = (
        db_session()
        .scalars(
            select(Gate)
            .where(Gate.decision.is_not(None))
            .options(
                joinedload(Gate.decided_by),
                joinedload(Gate.run).joinedload(Run.user),
                joinedload(Gate.iteration),
            )
            .order_by(Gate.decided_at.desc())
        )
        .all()
    )
    return render_template("admin/decisions.html", gates=gates)


@bp.route("/library")
@admin_required
def library():  # noqa: ANN201
    from webapp.library import library_rows

    return render_template("library/index.html", rows=library_rows(None), errors=[], all_users=True)
