"""One-time links for an account: a password reset an admin hands out, and the claim that makes
an address listed in TASTELOOP_ADMIN_EMAILS an admin.

A link is signed with the app's secret and names the user and a fingerprint of what it changes
(the password hash, or the role). Using it changes that, so a link works once; it also expires.
No table is needed, and a reset link dies as soon as the password changes by any route.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from store.models import User
from webapp.db import db_session

MAX_TOKEN = 512


class LinkPurpose(StrEnum):
    RESET = "password-reset"
    ADMIN_CLAIM = "admin-claim"


LIFETIME_CONFIG = {
    LinkPurpose.RESET: "RESET_LINK_SECONDS",
    LinkPurpose.ADMIN_CLAIM: "ADMIN_CLAIM_SECONDS",
}


def _fingerprint(user: User, purpose: LinkPurpose) -> str:
    if purpose is LinkPurpose.RESET:
        return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
    return "admin" if user.is_admin else "user"


def _serializer(purpose: LinkPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"tasteloop:{purpose}")


def issue_token(user: User, purpose: LinkPurpose) -> str:
    return _serializer(purpose).dumps({"user": user.id, "state": _fingerprint(user, purpose)})


def redeem_token(token: str, purpose: LinkPurpose) -> User | None:
    """The user a valid, unexpired, unused link was issued for; None for anything else."""
    if len(token) > MAX_TOKEN:
        return None
    max_age = current_app.config[LIFETIME_CONFIG[purpose]]
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(payload, dict):
        return None
    user_id = payload.get("user")
    if not isinstance(user_id, int):
        return None
    user = db_session().get(User, user_id)
    if user is None or payload.get("state") != _fingerprint(user, purpose):
        return None
    return user
