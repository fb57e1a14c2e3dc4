"""One result per form, however many times it is sent: a double click on "Save to library" or
"Start a run" makes one entry and one run.

A form carries a random `once` token. The first request with it claims the token in Redis (SET
NX) and, when it is done, leaves the address of what it made there; a repeat is sent to that
address instead of doing the work again (or, while the first is still working, back where it
came from). A form without the field (an older page) and a Redis outage are let through: this
guards against repeats, not attackers, and must never block the work itself.
"""

from __future__ import annotations

import logging
import secrets

import redis
from flask import flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from jobs.queue import QueueUnavailable, connection

log = logging.getLogger(__name__)
FIELD = "once"
MEMORY_SECONDS = 3600
PENDING = "pending"


def once_token() -> str:
    return secrets.token_urlsafe(16)


def _key(token: str) -> str:
    return f"tasteloop:once:{current_user.id}:{token[:64]}"


def _token() -> str | None:
    token = request.form.get(FIELD, "")
    return token if 16 <= len(token) <= 64 else None


def earlier_result() -> str | None:
    """None: this is the form's first sending, now claimed. Otherwise the address of what the
    first sending made ("" while it is still being made)."""
    token = _token()
    if token is None:
        return None
    try:
        conn = connection()
        if conn.set(_key(token), PENDING, nx=True, ex=MEMORY_SECONDS):
            return None
        found = conn.get(_key(token))
    except (QueueUnavailable, redis.RedisError):
        log.warning("repeat-submission guard unavailable; letting the request through")
        return None
    text = found.decode() if isinstance(found, bytes) else (found or "")
    return "" if text == PENDING else text


def remember_result(url: str) -> None:
    """What this sending made, for a repeat of it to be sent to."""
    token = _token()
    if token is None:
        return
    try:
        connection().set(_key(token), url, ex=MEMORY_SECONDS)
    except (QueueUnavailable, redis.RedisError):
        log.warning("repeat-submission guard unavailable; result not remembered")


def forget() -> None:
    """The sending failed (a form error): sending the form again must do the work."""
    token = _token()
    if token is None:
        return
    try:
        connection().delete(_key(token))
    except (QueueUnavailable, redis.RedisError):
        pass


def repeated(earlier: str, back: str) -> ResponseReturnValue:
    """A form sent again: to what its first sending made, or back while that is being made."""
    if earlier:
        flash("That was already done: here it is.")
        return redirect(earlier, code=303)
    flash("Your first click is still being handled.")
    return redirect(back, code=303)
