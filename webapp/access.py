"""Who may see what: owners see their own runs, admins see all; anything else is a 404."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from store.models import LibraryProfile, Run
from webapp import db_session


def owned_run(run_id: int) -> Run:
    run = db_session().get(Run, run_id)
    if run is None or (run.user_id != current_user.id and not current_user.is_admin):
        abort(404)  # never reveal that another user's run exists
    return run


def admin_required(view):  # noqa: ANN001, ANN201
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def owned_library_profile(profile_id: int, *, for_change: bool = False) -> LibraryProfile:
    """Owners see and change their profiles; admins may look but not change someone else's."""
    entry = db_session().get(LibraryProfile, profile_id)
    if entry is None:
        abort(404)
    if entry.user_id != current_user.id and (for_change or not current_user.is_admin):
        abort(404)
    return entry
