"""tasteloop web app: `create_app(config)` is the application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import account, admin, auth, history, library, recovery, runs, series
from webapp import db as request_db
from webapp.cli import register_cli
from webapp.errors import register_error_handlers
from webapp.extensions import csrf, login_manager
from webapp.settings import config_from_env
from webapp.templating import register_template_globals

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)


class _CompiledTemplates(BytecodeCache):
    """Compiled templates shared by every app this process builds (keyed by each template's
    source checksum, so an edited template compiles afresh)."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._compiled:
            bucket.bytecode_from_string(self._compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.config.update(config_from_env(config))
    csrf.init_app(app)
    login_manager.init_app(app)
    request_db.init_app(app)
    register_template_globals(app)
    register_error_handlers(app)
    blueprints = (auth.bp, account.bp, recovery.bp, runs.bp, history.bp, admin.bp, library.bp)
    for blueprint in (*blueprints, series.bp):
        app.register_blueprint(blueprint)
    register_cli(app)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:  # the client address (rate limits) and scheme come from these proxies' headers
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app
