"""Accounts: register, log in, log out. Passwords are hashed (scrypt via Werkzeug)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import cache, wraps
from urllib.parse import urlsplit

import redis
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
from werkzeug.security import check_password_hash, generate_password_hash

from jobs.queue import QueueUnavailable, connection
from store.models import User
from webapp.db import db_session

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)
MIN_PASSWORD = 8
MAX_EMAIL = 254
MAX_PASSWORD = 1024


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


@cache
def _dummy_hash() -> str:
    """Hashed on first use, not at import: every process and CLI call would pay for it."""
    return generate_password_hash("not a password anyone has")


def password_errors(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD:
        return [f"Use a password of at least {MIN_PASSWORD} characters."]
    if len(password) > MAX_PASSWORD:
        return [f"Use a password of at most {MAX_PASSWORD} characters."]
    return []


def _attempts_key(email: str) -> str:
    # a digest, so the key's size does not depend on what a client sends as an email
    digest = hashlib.sha256(f"{request.remote_addr}\x00{email}".encode()).hexdigest()
    return f"tasteloop:login:{digest[:32]}"


def safe_next(target: str) -> str | None:
    """A path on this site to go to after logging in, or None (no scheme, host, backslash or
    control character: browsers drop a tab, so `/\t/evil.com` would become `//evil.com`)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _too_many_attempts(email: str) -> bool:
    """Failed logins are counted per client address and email in Redis, in a fixed window.

    Fails open (with a warning) if Redis is down: a login page that cannot log anyone in would be
    worse than a briefly unlimited one.
    """
    try:
        failures = int(connection().get(_attempts_key(email)) or 0)
    except (QueueUnavailable, redis.RedisError):
        log.warning("login rate limiter unavailable; allowing the attempt")
        return False
    return failures >= current_app.config["LOGIN_ATTEMPTS"]


def _count_failure(email: str) -> None:
    try:
        conn = connection()
        key = _attempts_key(email)
        if conn.incr(key) == 1:
            conn.expire(key, current_app.config["LOGIN_WINDOW_SECONDS"])
    except (QueueUnavailable, redis.RedisError):
        log.warning("login rate limiter unavailable; failure not counted")


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
    errors: list[str] = []
    email = ""
    if request.method == "POST":
        email = normalise_email(request.form.get("email", ""))
        password = request.form.get("password", "")
        if "@" not in email or len(email) > MAX_EMAIL:
            errors.append("Enter a valid email address.")
        errors += password_errors(password)
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
@signed_out_only
def login() -> ResponseReturnValue:
    errors: list[str] = []
    email = ""
    status = 200
    if request.method == "POST":
        email = normalise_email(request.form.get("email", ""))
        if len(email) > MAX_EMAIL:  # no account has it; neither stored nor echoed back
            email = ""
        if _too_many_attempts(email):
            minutes = current_app.config["LOGIN_WINDOW_SECONDS"] // 60
            errors.append(f"Too many login attempts. Wait {minutes} minutes and try again.")
            status = 429
        else:
            user = db_session().scalar(select(User).where(User.email == email))
            # hash even when there is no such account, so the time taken does not tell
            stored = user.password_hash if user else _dummy_hash()
            if check_password_hash(stored, request.form.get("password", "")) and user:
                if user.disabled:
                    errors.append("This account is disabled; ask an administrator.")
                    return render_template("auth/login.html", errors=errors, email=email), 403
                login_user(user, remember=bool(request.form.get("remember")))
                session.pop("csrf_token", None)  # a token seen before login is not valid after
                return redirect(safe_next(request.args.get("next", "")) or url_for("runs.new"))
            _count_failure(email)
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
    """Every session and remember-me cookie issued to this user stops working."""
    user.session_version += 1
