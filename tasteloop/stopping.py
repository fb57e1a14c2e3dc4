"""Stopping a run between provider calls.

A caller (the worker) says how to tell that its run was stopped; every provider call made on its
behalf asks first, through a context variable, so a method that makes several calls (a pairwise
comparison asks twice, a retry asks again) stops between them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_stop_check: ContextVar[Callable[[], bool] | None] = ContextVar("stop_check", default=None)


class RunStopped(BaseException):  # a signal, like KeyboardInterrupt, so no handler takes it
    """The run was stopped: raised before a provider call, never caught as a model failure."""


@contextmanager
def stop_when(should_stop: Callable[[], bool] | None) -> Iterator[None]:
    token = _stop_check.set(should_stop)
    try:
        yield
    finally:
        _stop_check.reset(token)


def raise_if_stopped(what: str) -> None:
    check = _stop_check.get()
    if check is not None and check():
        raise RunStopped(what)
