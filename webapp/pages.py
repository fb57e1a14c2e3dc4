"""Keyset pages for every list: newest first by id (ids only grow and are never reused), each
page asking for the rows older than the last one shown, so a page costs the same with ten rows
or ten thousand (the primary key, or an index ending in id, serves it; never an OFFSET scan)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from webapp.db import db_session

PAGE_SIZE = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Keyset(Generic[T]):
    rows: list[T]
    older: int | None  # `before` for the next page; None on the last


def before_arg() -> int | None:
    """The page's start from the query string (?before=id): rows with ids below it."""
    raw = request.args.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def keyset_page(
    query: Select[Any], key: InstrumentedAttribute[int], before: int | None, size: int = 0
) -> Keyset[Any]:
    """`query`'s rows with `key` below `before`, newest first, `size` of them (PAGE_SIZE)."""
    size = size or PAGE_SIZE
    query = query.order_by(key.desc()).limit(size + 1)
    if before is not None:
        query = query.where(key < before)
    found = list(db_session().scalars(query))
    older = getattr(found[size - 1], key.key) if len(found) > size else None
    return Keyset(found[:size], older)
