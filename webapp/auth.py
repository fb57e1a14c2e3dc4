"""Accounts: register, log in, log out. Passwords are hashed (scrypt via Werkzeug)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from store.models import User, new_secret
from webapp.account_links import LinkPurpose, issue_token
from webapp.credentials import (
    MAX_EMAIL,
    email_errors,
    normalise_email,
    password_errors,
    spending_key,
)
from webapp.db import db_session
from webapp.passwords import hash_password, password_matches
from webapp.rate_limit import count_attempt, over_limit, window_minutes

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def create_user(email: str, password: str, *, is_admin: bool = False) -> User:
    session = db_session()
    address = normalise_email(email)
    user = User(
        email=address,
        password_hash=hash_password(password),
        is_admin=is_admin,
        spending_key=spending_key(address),
    )
    session.add(user)
    session.commit()
    return user


def safe_next(target: str) -> str | None:
    """A path on this site to go to after logging in, or None (no scheme, host, backslash or
    control character: browsers drop a tab, so `/\t/evil.com` would become `//evil.com`)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def signed_out_only(view: Callable[[], ResponseReturnValue]) -> Callable[[], ResponseReturnValue]:
    """Register and log-in pages send someone already signed in on to a new run."""

    @wraps(view)
    def wrapper() -> ResponseReturnValue:
        if current_user.is_authenticated:
            return redirect(url_for("runs.new"))
        return view()

    return wrapper


@bp.route("/register", methods=["GET", "POST"])
@signed_out_only
def register() -> ResponseReturnValue:
    """Registering tells whether an address has an account (there is no mail to say it
    privately), so attempts are limited per client address, like logins."""
    errors: list[str] = []
    email = ""
    if request.method == "POST":
        email = normalise_email(request.form.get("email", ""))[: MAX_EMAIL + 1]
        password = request.form.get("password", "")
        if over_limit("register"):
            errors.append(
                f"Too many registrations from here. Wait {window_minutes('register')} minutes."
            )
            return render_template("auth/register.html", errors=errors, email=""), 429
        if over_limit("signup"):
            errors.append(
                "tasteloop is taking more new accounts than it can right now. "
                f"Try again in {window_minutes('signup')} minutes."
            )
            return render_template("auth/register.html", errors=errors, email=""), 429
        count_attempt("register")
        email_problems = email_errors(email)
        errors += email_problems or password_errors(password, email)
        if not errors:
            exists = db_session().scalar(select(User).where(func.lower(User.email) == email))
            if exists:
                errors.append("An account with this email already exists; log in instead.")
        if not errors:
            user = create_user(email, password)
            count_attempt("signup")
            login_user(user)
            flash("Welcome to tasteloop. Start by uploading 3 to 5 images you love.")
            if email in current_app.config["ADMIN_EMAILS"]:
                _offer_admin_claim(user)
            return redirect(url_for("runs.new"))
        if email_problems:
            email = ""  # not echoed back
    return render_template("auth/register.html", errors=errors, email=email), (
        400 if errors else 200
    )


def _offer_admin_claim(user: User) -> None:
    """An address listed in TASTELOOP_ADMIN_EMAILS becomes an admin only through a one-time link
    written to the server's log: with no mail to send, reading that log is the proof asked for
    (whoever runs the server reads it), and registering first with someone else's address gains
    nothing."""
    token = issue_token(user, LinkPurpose.ADMIN_CLAIM)
    current_app.logger.warning(
        "%s is listed in TASTELOOP_ADMIN_EMAILS; to make this account an admin, open %s "
        "while logged in as it (the link works once)",
        user.email,
        url_for("recovery.admin_claim", token=token, _external=True),
    )
    flash(
        "This address is listed as an administrator's. To become one, open the one-time link "
        "tasteloop wrote to its server log (the terminal running it), logged in as this account."
    )


@bp.route("/login", methods=["GET", "POST"])
@signed_out_only
def login() -> ResponseReturnValue:
    errors: list[str] = []
    email = ""
    status = 200
    if request.method == "POST":
        email = normalise_email(request.form.get("email", ""))
        if len(email) > MAX_EMAIL:  # no account has it; neither stored nor echoed back
            email = ""
        if over_limit("login", email) or over_limit("password"):
            minutes = window_minutes("login")
            errors.append(f"Too many login attempts. Wait {minutes} minutes and try again.")
            status = 429
        else:
            user = db_session().scalar(select(User).where(User.email == email))
            stored = user.password_hash if user else None
            if password_matches(stored, request.form.get("password", "")) and user:
                if user.disabled:
                    errors.append("This account is disabled; ask an administrator.")
                    return render_template("auth/login.html", errors=errors, email=email), 403
                login_user(user, remember=bool(request.form.get("remember")))
                session.pop("csrf_token", None)  # a token seen before login is not valid after
                return redirect(safe_next(request.args.get("next", "")) or url_for("runs.new"))
            count_attempt("login", email)
            count_attempt("password")
            errors.append("That email and password do not match an account.")
            status = 400
    return render_template("auth/login.html", errors=errors, email=email), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    revoke_sessions(current_user)
    db_session().commit()
    logout_user()
    flash("You are logged out, on this device and every other.")
    return redirect(url_for("auth.login"))


def revoke_sessions(user: User) -> None:
    """Every session and remember-me cookie issued to this user stops working, for good."""
    user.session_token = new_secret()
