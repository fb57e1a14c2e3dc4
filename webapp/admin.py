"""Admin: the review queue of open gates across all users, and the log of gate decisions."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from store.gates import decided_gates, open_gates
from webapp.access import admin_required
from webapp.db import db_session
from webapp.library import library_rows

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@admin_required
def queue() -> ResponseReturnValue:
    return render_template("admin/queue.html", gates=open_gates(db_session()))


@bp.route("/decisions")
@admin_required
def decisions() -> ResponseReturnValue:
    return render_template("admin/decisions.html", gates=decided_gates(db_session()))


@bp.route("/library")
@admin_required
def library() -> ResponseReturnValue:
    return render_template("library/index.html", rows=library_rows(None), errors=[], all_users=True)
