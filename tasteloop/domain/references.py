"""A taste is learned from 3-5 reference images; the person's weights say which count most."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

MIN_REFERENCES = 3
MAX_REFERENCES = 5


def count_problem(count: int) -> str | None:
    """Why `count` references cannot make a taste, or None (checked before any file is read)."""
    if MIN_REFERENCES <= count <= MAX_REFERENCES:
        return None
    return f"Choose {MIN_REFERENCES} to {MAX_REFERENCES} reference images; you sent {count}."


def heaviest_first(items: Sequence[T], weights: Sequence[float] | None) -> list[T]:
    """`items` heaviest first (their own order among equals), without those weighted 0; as they
    are when there are no weights or the weights do not fit."""
    if weights is None or len(weights) != len(items):
        return list(items)
    order = sorted(range(len(items)), key=lambda i: -weights[i])
    return [items[i] for i in order if weights[i] > 0]
