"""Error pages: one sentence a person can act on, never a traceback."""

from __future__ import annotations

from flask import Flask, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from webapp.db import db_session


def _page(title: str, message: str, status: int) -> ResponseReturnValue:
    return render_template("error.html", title=title, message=message), status


def csrf_error(error: CSRFError) -> ResponseReturnValue:
    return _page("Form expired", f"{error.description} Reload the page and try again.", 400)


def not_found(_error: HTTPException) -> ResponseReturnValue:
    return _page("Not found", "There is nothing here, or it is not yours.", 404)


def forbidden(_error: HTTPException) -> ResponseReturnValue:
    return _page("Admins only", "This page is for administrators.", 403)


def too_large(_error: HTTPException) -> ResponseReturnValue:
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    return _page(
        "Upload too large",
        f"The upload is over {limit} MB in total. Each image may be up to 15 MB; "
        "send 3 to 5 images.",
        413,
    )


def wrong_method(_error: HTTPException) -> ResponseReturnValue:
    """A form's address opened as a page (a reload after a form error, a bookmark): go to the
    page the form belongs to, not an error."""
    parent = request.path.rstrip("/").rsplit("/", 1)[0]
    if request.method == "GET" and parent:
        return redirect(parent, code=303)
    return _page("Not here", "This address takes a form, sent from its page.", 405)


def conflict(_error: IntegrityError) -> ResponseReturnValue:
    """Two requests changed the same thing at once (two tabs confirming, two registrations of
    one email): the database kept one; the other is told, not shown a 500."""
    db_session().rollback()
    return _page(
        "Changed at the same moment",
        "Someone (perhaps you, in another tab) changed this at the same moment, and that change "
        "was kept. Reload the page to see it.",
        409,
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(IntegrityError, conflict)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(404, not_found)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(413, too_large)
    app.register_error_handler(405, wrong_method)
