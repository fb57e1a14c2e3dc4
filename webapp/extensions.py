"""Flask extensions, created once and bound to the app in `create_app`."""

from __future__ import annotations

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
    """The user of a session or remember-me cookie, if the cookie is of their current version."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
        return None
    user = db_session().get(User, int(user_id))
    if user is None or user.disabled or user.session_version != int(version):
        return None
    return user
