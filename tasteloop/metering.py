"""Counting what a turn's model calls cost, whether or not the turn's result is kept.

A caller (the worker) opens a meter around a turn; every gateway call made on its behalf, in any
thread that carries its context, adds its usage. A turn that is stopped, loses its lease or fails
after some calls still knows what those calls cost, so nothing spent goes unrecorded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tasteloop.domain.engine import CallUsage


class Meter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[CallUsage] = []

    def add(self, usage: CallUsage) -> None:
        with self._lock:
            self.calls.append(usage)

    @property
    def cost_usd(self) -> float:
        with self._lock:
            return round(sum(u.cost_usd or 0.0 for u in self.calls), 6)


_meter: ContextVar[Meter | None] = ContextVar("meter", default=None)


@contextmanager
def metering(meter: Meter) -> Iterator[Meter]:
    """Count the usage of every call made inside (in this thread, or one carrying its context)."""
    token = _meter.set(meter)
    try:
        yield meter
    finally:
        _meter.reset(token)


def record(usage: CallUsage) -> CallUsage:
    """Add a call's usage to the meter of the turn it was made for, if any."""
    meter = _meter.get()
    if meter is not None:
        meter.add(usage)
    return usage
