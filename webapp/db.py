"""The request's database session (flaskr's `db.py` pattern): opened on first use, closed at
the end of the request."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from store.db import get_database


def db_session() -> Session:
    if "db" not in g:
        g.db = get_database(current_app.config["DATABASE_URL"]).sessions()
    return g.db


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db_session)
