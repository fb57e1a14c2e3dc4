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
def load_user(user_id: str) -> User | None:
    try:
        return db_session().get(User, int(user_id))
    except ValueError:
        return None
