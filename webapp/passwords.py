"""Password hashes: one place that makes and checks them (scrypt by default, Werkzeug's).

`PASSWORD_METHOD` in the app's config names the Werkzeug method; the tests use a cheap one so
that registering a person does not cost a tenth of a second each time.
"""

from __future__ import annotations

from functools import cache

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

DEFAULT_METHOD = "scrypt"


def _method() -> str:
    return current_app.config.get("PASSWORD_METHOD") or DEFAULT_METHOD


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_method())


@cache
def _dummy_hash(method: str) -> str:
    """Hashed on first use, not at import: every process and CLI call would pay for it."""
    return generate_password_hash("not a password anyone has", method=method)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` is the one `stored` was made from. With no stored hash (no such
    account) the same work is done against a dummy, so the time taken does not tell."""
    return check_password_hash(stored or _dummy_hash(_method()), password) and stored is not None
