"""Flask extensions, created once and bound to the app in `create_app`."""

from __future__ import annotations

import hmac

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from store.models import User
from webapp.db import db_session

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to see that page."


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session or remember-me cookie, if the cookie carries their current session
    secret (random per account: a cookie of a deleted account can never name another one)."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or len(user_id) > 18 or not token:
        return None
    user = db_session().get(User, int(user_id))
    if user is None or user.disabled:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user
