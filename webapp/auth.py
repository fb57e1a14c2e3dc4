"""Accounts: register, log in, log out. Passwords are hashed (scrypt via Werkzeug)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from store.models import User
from webapp import db_session

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)
MIN_PASSWORD = 8


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, password: str, *, is_admin: bool = False) -> User:
    session = db_session()
    user = User(
        email=normalise_email(email),
        password_hash=generate_password_hash(password),
        is_admin=is_admin,
    )
    session.add(user)
    session.commit()
    return user


def _attempts_key(email: str) -> str:
    return f"tasteloop:login:{request.remote_addr}:{email}"


def _too_many_attempts(email: str) -> bool:
    """Failed logins are counted per client address and email in Redis, in a fixed window.

    Fails open (with a warning) if Redis is down: a login page that cannot log anyone in would be
    worse than a briefly unlimited one.
    """
    from jobs.queue import QueueUnavailable, connection

    try:
        failures = int(connection().get(_attempts_key(email)) or 0)
    except (QueueUnavailable, Exception):  # noqa: BLE001
        log.warning("login rate limiter unavailable; allowing the attempt")
        return False
    return failures >= current_app.config["LOGIN_ATTEMPTS"]


def _count_failure(email: str) -> None:
    from jobs.queue import QueueUnavailable, connection

    try:
        conn = connection()
        key = _attempts_key(email)
        if conn.incr(key) == 1:
            conn.expire(key, current_app.config["LOGIN_WINDOW_SECONDS"])
    except (QueueUnavailable, Exception):  # noqa: BLE001
        log.warning("login rate limiter unavailable; failure not counted")


@bp.route("/register", methods=["GET", "POST"])
def register():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(url_for("runs.new"))
    errors: list[str] = []
    email = ""
    if request.method == "POST":
        email = normalise_email(request.form.get("email", ""))
        password = request.form.get("password", "")
        if "@" not in email or len(email) > 254:
            errors.append("Enter a valid email address.")
        if len(password) < MIN_PASSWORD:
            errors.append(f"Use a password of at least {MIN_PASSWORD} characters.")
        if not errors:
            exists = db_session().scalar(select(User).where(func.lower(User.email) == email))
            if exists:
                errors.append("An account with this email already exists; log in instead.")
        if not errors:
            user = create_user(
                email, password, is_admin=email in current_app.config["ADMIN_EMAILS"]
            )
            login_user(user)
            flash("Welcome to tasteloop. Start by uploading 3 to 5 images you love.")
            return redirect(url_for("runs.new"))
    return render_template("auth/register.html", errors=errors, email=email), (
        400 if errors else 200
    )


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(url_for("runs.new"))
    errors: list[str] = []
    email = ""
    status = 200
    if request.method == "POST":
        email = normalise_email(request.form.get("email", ""))
        if _too_many_attempts(email):
            minutes = current_app.config["LOGIN_WINDOW_SECONDS"] // 60
            errors.append(f"Too many login attempts. Wait {minutes} minutes and try again.")
            status = 429
        else:
            user = db_session().scalar(select(User).where(User.email == email))
            if user and check_password_hash(user.password_hash, request.form.get("password", "")):
                login_user(user, remember=bool(request.form.get("remember")))
                target = request.args.get("next", "")
                if not target.startswith("/") or target.startswith("//"):
                    target = url_for("runs.new")
                return redirect(target)
            _count_failure(email)
            errors.append("That email and password do not match an account.")
            status = 400
    return render_template("auth/login.html", errors=errors, email=email), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # noqa: ANN201
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
