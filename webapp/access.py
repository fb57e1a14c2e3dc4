"""Who may see what: owners see their own runs, admins see all; anything else is a 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from store.models import PUBLIC_ID_MAX, LibraryProfile, Run
from webapp.db import db_session

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M")
# Database ids are signed 64-bit: a larger number in a URL or form is simply not there.
MAX_ID = 2**63 - 1


def parse_id(raw: object) -> int | None:
    """A positive database id from a form value, or None when it cannot be one."""
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def get_by_id(model: type[M], raw_id: int) -> M | None:
    """The row, or None for an id no row can have (SQLite and PostgreSQL overflow past 2^63)."""
    return db_session().get(model, raw_id) if 0 < raw_id <= MAX_ID else None


def find_run(public_id: str) -> Run | None:
    """The run with this public id, or None (a value no public id can be is simply not there)."""
    if not public_id or len(public_id) > PUBLIC_ID_MAX:
        return None
    return db_session().scalar(select(Run).where(Run.public_id == public_id))


def owned_run(public_id: str, *, for_change: bool = False) -> Run:
    """Owners see and change their runs; admins may look (and decide gates, stop) but not make
    something of someone else's run. Runs are addressed by their unguessable public id."""
    run = find_run(public_id)
    if run is None or (
        run.user_id != current_user.id and (for_change or not current_user.is_admin)
    ):
        abort(404)  # never reveal that another user's run exists
    return run


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    @wraps(view)
    @login_required
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def owned_library_profile(profile_id: int, *, for_change: bool = False) -> LibraryProfile:
    """Owners see and change their profiles; admins may look but not change someone else's."""
    entry = get_by_id(LibraryProfile, profile_id)
    if entry is None:
        abort(404)
    if entry.user_id != current_user.id and (for_change or not current_user.is_admin):
        abort(404)
    return entry
