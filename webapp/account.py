"""A person's own account: change the password, delete everything of theirs."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user

from store.db import get_database
from store.deletion import delete_account
from store.models import User
from webapp.auth import revoke_sessions
from webapp.credentials import password_errors
from webapp.db import db_session
from webapp.passwords import hash_password, password_matches
from webapp.rate_limit import count_attempt, over_limit, window_minutes

bp = Blueprint("account", __name__, url_prefix="/account")


def erase_account(user: User) -> None:
    """Delete the account and everything in it, committed, and leave no copy in SQLite's log
    (the account page and `flask delete-user`)."""
    session = db_session()
    delete_account(session, user)
    session.commit()
    get_database(current_app.config["DATABASE_URL"]).forget_deleted()


def _guessing() -> str | None:
    """Why no more current-password checks are made from this client now (or None)."""
    if over_limit("password"):
        return f"Too many wrong passwords from here. Wait {window_minutes('password')} minutes."
    return None


def _checked(user: User, password: str) -> bool:
    if password_matches(user.password_hash, password):
        return True
    count_attempt("password")
    return False


def _page(
    errors: list[str], delete_errors: list[str] | None = None, status: int | None = None
) -> ResponseReturnValue:
    status = status or (400 if errors or delete_errors else 200)
    return render_template(
        "auth/account.html", errors=errors, delete_errors=delete_errors or []
    ), status


@bp.route("/", methods=["GET"])
@login_required
def show() -> ResponseReturnValue:
    return _page([])


@bp.route("/password", methods=["POST"])
@login_required
def change_password() -> ResponseReturnValue:
    user: User = current_user  # type: ignore[assignment]
    errors: list[str] = []
    guessing = _guessing()
    if guessing:
        return _page([guessing], status=429)
    if not _checked(user, request.form.get("current", "")):
        errors.append("Your current password is not that.")
    new = request.form.get("new", "")
    errors += password_errors(new, user.email)
    if errors:
        return _page(errors)
    user.password_hash = hash_password(new)
    revoke_sessions(user)
    db_session().commit()
    login_user(user)  # this browser stays in, with a cookie of the new version
    flash("Password changed. Every other session has been logged out.")
    return redirect(url_for("runs.new"))


@bp.route("/delete", methods=["POST"])
@login_required
def delete() -> ResponseReturnValue:
    user: User = current_user  # type: ignore[assignment]
    guessing = _guessing()
    if guessing:
        return _page([], [guessing], status=429)
    if not _checked(user, request.form.get("password", "")):
        return _page([], ["Enter your password to delete your account."])
    email = user.email
    erase_account(user)
    logout_user()
    flash(f"The account {email} and everything in it are deleted.")
    return redirect(url_for("auth.login"))
