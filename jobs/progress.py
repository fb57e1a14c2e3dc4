"""Which step a generating run is in (painting, judging, comparing, applying a note), for its
page: the worker says so in Redis before each call to the engine, the page reads it. Nothing
depends on it: a Redis hiccup loses a label, never work."""

from __future__ import annotations

import logging
from typing import Any

import redis

from jobs.queue import QueueUnavailable, connection

log = logging.getLogger(__name__)
STEP_SECONDS = 900  # a step label outlives no call by more than this
STEPS = {  # the engine's method, and what the person reads while it runs
    "generate": "painting",
    "critique": "judging and writing the next prompt",
    "compare": "comparing it with the best so far",
    "apply_note": "applying your note",
}


def _key(run_id: int) -> str:
    return f"tasteloop:step:{run_id}"


def set_step(run_id: int, step: str | None) -> None:
    try:
        conn = connection()
        if step is None:
            conn.delete(_key(run_id))
        else:
            conn.set(_key(run_id), step, ex=STEP_SECONDS)
    except (QueueUnavailable, redis.RedisError):
        log.debug("step of run %s not recorded", run_id)


def current_step(run_id: int) -> str | None:
    try:
        found = connection().get(_key(run_id))
    except (QueueUnavailable, redis.RedisError):
        return None
    return found.decode() if isinstance(found, bytes) else found


class Announced:
    """A generator or critic that records the step before each of its calls."""

    def __init__(self, inner: object, run_id: int) -> None:
        self._inner, self._run_id = inner, run_id

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        step = STEPS.get(name)
        if step is None or not callable(method):
            return method

        def announced(*args: object, **kwargs: object) -> object:
            set_step(self._run_id, step)
            return method(*args, **kwargs)

        return announced
