"""Admin: the review queue of open gates across all users, the log of gate decisions, and the
accounts (an admin can disable one)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from store.gates import decided_gates, open_gates
from store.models import Gate, LibraryProfile, User
from store.users import set_disabled, set_monthly_cap, user_rows
from webapp.access import admin_required, get_by_id
from webapp.account_links import LinkPurpose, issue_token
from webapp.db import db_session
from webapp.history import FILTERS, Listing, run_page
from webapp.library import library_rows
from webapp.pages import before_arg, keyset_page

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@admin_required
def queue() -> ResponseReturnValue:
    return render_template("admin/queue.html", gates=open_gates(db_session()))


@bp.route("/decisions")
@admin_required
def decisions() -> ResponseReturnValue:
    """Gates by when they opened, newest first, a keyset page at a time."""
    page = keyset_page(decided_gates(), Gate.id, before_arg())
    return render_template("admin/decisions.html", gates=page.rows, page=page)


@bp.route("/library")
@admin_required
def library() -> ResponseReturnValue:
    page = keyset_page(select(LibraryProfile), LibraryProfile.id, before_arg())
    rows = library_rows(page.rows)
    return render_template("library/index.html", rows=rows, page=page, errors=[], all_users=True)


@bp.route("/users")
@admin_required
def users() -> ResponseReturnValue:
    """Accounts, newest first, a keyset page at a time."""
    page = keyset_page(select(User), User.id, before_arg())
    return render_template("admin/users.html", rows=user_rows(db_session(), page.rows), page=page)


def _user_or_404(user_id: int) -> User:
    user = get_by_id(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@admin_required
def disable(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    if user.id == current_user.id:
        flash("You cannot disable your own account.")
    else:
        set_disabled(db_session(), user, request.form.get("disabled") == "1")
        db_session().commit()
        flash(f"{user.email} is {'disabled' if user.disabled else 'enabled again'}.")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/users/<int:user_id>/monthly-cap", methods=["POST"])
@admin_required
def monthly_cap(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    try:
        flash(set_monthly_cap(user, request.form.get("cap", "")))
        db_session().commit()
    except ValueError as exc:
        flash(str(exc))
    return redirect(url_for("admin.users"), code=303)


@bp.route("/runs")
@admin_required
def runs() -> ResponseReturnValue:
    """Every user's runs, newest first: how each ended (stopped ones too), and whose it is."""
    listing = Listing.from_request()
    return render_template(
        "history.html",
        page=run_page(listing),
        listing=listing,
        filters=FILTERS,
        spending=None,
        all_users=True,
    )


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@admin_required
def reset_link(user_id: int) -> ResponseReturnValue:
    """A one-time password-reset link to hand to the person (there is no mail to send it)."""
    user = _user_or_404(user_id)
    token = issue_token(user, LinkPurpose.RESET)
    link = url_for("recovery.reset_password", token=token, _external=True)
    hours = current_app.config["RESET_LINK_SECONDS"] / 3600
    response = render_template("admin/reset_link.html", user=user, link=link, hours=hours)
    return response, 200, {"Cache-Control": "no-store"}
