"""Pages behind one-time links: setting a new password from a reset link an admin handed out,
and claiming the admin role for an address listed in TASTELOOP_ADMIN_EMAILS."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user
from sqlalchemy import update

from store.models import User
from webapp.account_links import LinkPurpose, redeem_token
from webapp.auth import revoke_sessions
from webapp.credentials import password_errors
from webapp.db import db_session
from webapp.passwords import hash_password

bp = Blueprint("recovery", __name__)

INVALID_LINK = (
    "This link is not valid any more: it was used, it expired, or the account changed since "
    "it was made. Ask an administrator for a new one."
)


def _invalid() -> ResponseReturnValue:
    return render_template("error.html", title="Link not valid", message=INVALID_LINK), 410


NO_STORE = {"Cache-Control": "no-store"}  # the link is a secret: no cache keeps its page


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    user = redeem_token(token, LinkPurpose.RESET)
    if user is None:
        return _invalid()
    errors: list[str] = []
    if request.method == "POST":
        new = request.form.get("new", "")
        errors = password_errors(new, user.email)
        if not errors:
            # only while the password is still the one the link was made for: of two uses at
            # once, one sets it and the other finds the link spent
            session = db_session()
            used = session.execute(
                update(User)
                .where(User.id == user.id, User.password_hash == user.password_hash)
                .values(password_hash=hash_password(new))
                .execution_options(synchronize_session=False)
            )
            if used.rowcount != 1:
                session.rollback()
                return _invalid()
            revoke_sessions(user)
            session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash("Your password is set. Log in with it; every other session was logged out.")
            return redirect(url_for("auth.login"))
    return (
        render_template("auth/reset.html", email=user.email, errors=errors),
        (400 if errors else 200),
        NO_STORE,
    )


@bp.route("/admin-claim/<token>", methods=["GET", "POST"])
@login_required
def admin_claim(token: str) -> ResponseReturnValue:
    user = redeem_token(token, LinkPurpose.ADMIN_CLAIM)
    if user is None or user.email not in current_app.config["ADMIN_EMAILS"]:
        return _invalid()
    if user.id != current_user.id:
        abort(403)
    if request.method == "POST":
        user.is_admin = True
        db_session().commit()
        flash("You are now an administrator.")
        return redirect(url_for("admin.queue"))
    return render_template("auth/admin_claim.html", email=user.email)
