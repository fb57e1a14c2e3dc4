"""tasteloop web app: `create_app(config)` is the application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, render_template
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect

from store.db import get_database
from store.models import User
from webapp.settings import config_from_env
from webapp.templating import register_filters

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to see that page."

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.update(config_from_env(config))
    csrf.init_app(app)
    login_manager.init_app(app)
    register_filters(app)

    from webapp import admin, auth, history, library, runs
    from webapp.cli import register_cli

    app.register_blueprint(auth.bp)
    app.register_blueprint(runs.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(library.bp)
    register_cli(app)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()

    @app.after_request
    def _security_headers(response):  # noqa: ANN001, ANN202
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):  # noqa: ANN202
        return render_template(
            "error.html",
            title="Form expired",
            message=f"{error.description} Reload the page and try again.",
        ), 400

    @app.errorhandler(404)
    def _not_found(_error):  # noqa: ANN001, ANN202
        return render_template(
            "error.html", title="Not found", message="There is nothing here, or it is not yours."
        ), 404

    @app.errorhandler(403)
    def _forbidden(_error):  # noqa: ANN001, ANN202
        return render_template(
            "error.html", title="Admins only", message="This page is for administrators."
        ), 403

    @app.errorhandler(413)
    def _too_large(_error):  # noqa: ANN001, ANN202
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return render_template(
            "error.html",
            title="Upload too large",
            message=f"The upload is over {limit} MB in total. Each image may "
            "be up to 15 MB; send 3 to 5 images.",
        ), 413

    return app


def db_session():  # noqa: ANN201
    """The request's database session (closed when the request ends)."""
    from flask import current_app

    if "db" not in g:
        g.db = get_database(current_app.config["DATABASE_URL"]).sessions()
    return g.db


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        return db_session().get(User, int(user_id))
    except ValueError:
        return None
