"""The signed-in user's past runs, newest first, a page at a time, searchable and filtered.

Pages are keyset pages (webapp/pages.py; an index on (user_id, id) serves a person's). Search
reads the intent text; the filter is how a run ended, or that it has not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from store.models import (
    PUBLIC_ID_MAX,
    Iteration,
    LibraryProfile,
    LibraryVersion,
    ReferenceImage,
    Run,
)
from store.runs import results
from store.spending import Limits, active_runs, spent_this_month
from store.states import Outcome, Phase
from webapp.access import find_run
from webapp.db import db_session
from webapp.pages import keyset_page

bp = Blueprint("history", __name__)

MAX_SEARCH = 200
MAX_TASTES = 200  # library entries offered in the filter
# the filter's choices: (label, condition)
FILTERS: dict[str, tuple[str, ColumnElement[bool]]] = {
    "converged": ("Converged", Run.outcome == Outcome.CONVERGED.value),
    "approved": ("Approved by you", Run.outcome == Outcome.APPROVED.value),
    "max_iterations": ("Best at the cap", Run.outcome == Outcome.MAX_ITERATIONS.value),
    "stopped": ("Stopped", Run.outcome == Outcome.STOPPED.value),
    "failed": ("Stopped by an error", Run.phase == Phase.FAILED),
    "open": (
        "Not finished",
        Run.phase.in_((Phase.EXTRACTING, Phase.CONFIRM, Phase.GENERATING, Phase.GATED)),
    ),
}


@dataclass(frozen=True)
class Listing:
    """What the person asked to see: text to find in the intent, a filter, where the page starts."""

    search: str = ""
    filter: str = ""
    before: str | None = None  # the page holds the runs older than this one (its public id)
    taste: int | None = None  # runs started from this library entry
    view: str = "list"  # or "gallery": the results as pictures

    @classmethod
    def from_request(cls) -> Listing:
        search = " ".join(request.args.get("q", "").split())[:MAX_SEARCH]
        chosen = request.args.get("outcome", "")
        taste = request.args.get("taste", "")
        return cls(
            search,
            chosen if chosen in FILTERS else "",
            request.args.get("before", "")[:PUBLIC_ID_MAX] or None,
            int(taste) if taste.isdigit() and len(taste) < 19 else None,
            "gallery" if request.args.get("view") == "gallery" else "list",
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The page's query string, with `changes`, for links (empty values left out)."""
        values = {
            "q": self.search,
            "outcome": self.filter,
            "before": self.before,
            "taste": self.taste,
            "view": None if self.view == "list" else self.view,
            **changes,
        }
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    older: str | None  # `before` for the next page (a run's public id); None on the last


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def run_page(listing: Listing, user_id: int | None = None) -> Page:
    """One page of runs (a person's, or everyone's for an admin): one query per table for the
    page, never per run."""
    query = select(Run)
    if user_id is not None:
        query = query.where(Run.user_id == user_id)
    else:
        query = query.options(joinedload(Run.user))
    if listing.search:
        query = query.where(Run.intent.ilike(f"%{_escaped(listing.search)}%", escape="\\"))
    if listing.filter:
        query = query.where(FILTERS[listing.filter][1])
    if listing.taste is not None:
        versions = select(LibraryVersion.id).where(LibraryVersion.profile_id == listing.taste)
        query = query.where(Run.library_version_id.in_(versions))
    found = keyset_page(query, Run.id, _cursor(listing.before, user_id))
    return Page(run_rows(found.rows), found.rows[-1].public_id if found.older else None)


def _cursor(before: str | None, user_id: int | None) -> int | None:
    """The id a page starts below, from the public id of the run it starts after: URLs never
    carry the integer key. One not in this list (or gone) starts at the newest."""
    run = find_run(before) if before else None
    if run is None or (user_id is not None and run.user_id != user_id):
        return None
    return run.id


def run_rows(runs: list[Run]) -> list[dict]:
    """Each run's iteration count, shown score and thumbnail, one query per table."""
    session = db_session()
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
    listing = Listing.from_request()
    page = run_page(listing, current_user.id)
    tastes = session.execute(
        select(LibraryProfile.id, LibraryProfile.name)
        .where(LibraryProfile.user_id == current_user.id)
        .order_by(LibraryProfile.name)
        .limit(MAX_TASTES)
    ).all()
    return render_template(
        "history.html",
        page=page,
        listing=listing,
        filters=FILTERS,
        spending=spending,
        tastes=tastes,
    )
