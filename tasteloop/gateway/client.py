"""One factory for the gateway clients, plus the retry policy and per-call usage records."""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import instructor
import openai

from tasteloop.config import EngineSettings
from tasteloop.domain.engine import CallUsage
from tasteloop.gateway.json_mode import JSON_MODES, JsonModeChooser, tidy_reply
from tasteloop.metering import record
from tasteloop.stopping import raise_if_stopped

T = TypeVar("T")


class GatewayError(RuntimeError):
    """A gateway call failed for good; the message says what happened and whether to retry."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class TransientError(RuntimeError):
    """A fault worth retrying that the SDK does not classify (e.g. a reply with no image)."""


class Refusal(RuntimeError):
    """The provider declined the request (a content filter, no choices): asking again with the
    same words gets the same answer, so it is never retried; the message says why."""


@dataclass(frozen=True)
class GatewayClients:
    raw: openai.OpenAI
    settings: EngineSettings
    json_modes: JsonModeChooser
    _structured: dict[str, instructor.Instructor] = field(default_factory=dict)

    def structured(self, mode: str) -> instructor.Instructor:
        """instructor over the same SDK client, in `mode`, tidying replies before parsing."""
        if mode not in self._structured:
            client = instructor.from_openai(self.raw, mode=JSON_MODES[mode])
            client.on("completion:response", tidy_reply)
            self._structured[mode] = client
        return self._structured[mode]


@functools.cache
def json_mode_chooser(base_url: str, setting: str) -> JsonModeChooser:
    """One per gateway and setting in a process, so a fallback is learned once."""
    return JsonModeChooser(setting)


def make_clients(settings: EngineSettings) -> GatewayClients:
    # The SDK's own retries are off: `call_with_retries` decides, so every attempt is seen.
    raw = openai.OpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key,
        timeout=settings.timeout_s,
        max_retries=0,
    )
    chooser = json_mode_chooser(settings.base_url, settings.json_mode)
    return GatewayClients(raw=raw, settings=settings, json_modes=chooser)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it (instructor and the SDK both wrap errors)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = getattr(current, "__cause__", None) or getattr(current, "last_exception", None)
    return found


def root_cause(exc: BaseException) -> BaseException:
    """The most specific error worth reporting: the first openai error in the chain."""
    chain = _chain(exc)
    for item in chain:
        if isinstance(item, openai.OpenAIError):
            return item
    return chain[-1]


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, TransientError):
        return True
    cause = root_cause(exc)
    if isinstance(cause, openai.APIStatusError):
        return cause.status_code == 429 or cause.status_code >= 500 or cause.status_code == 408
    return isinstance(cause, openai.APIConnectionError | openai.APITimeoutError | TimeoutError)


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, TransientError | Refusal):
        return str(exc)
    cause = root_cause(exc)
    if isinstance(cause, openai.APITimeoutError):
        return "the gateway did not answer in time"
    if isinstance(cause, openai.APIConnectionError):
        return "the gateway could not be reached"
    if isinstance(cause, openai.APIStatusError):
        body = str(getattr(cause, "body", "") or cause.message)[:300]
        return f"the gateway answered HTTP {cause.status_code}: {body}"
    return f"{type(cause).__name__}: {cause}"[:500]


@functools.cache
def call_slots(limit: int) -> threading.BoundedSemaphore:
    """The process-wide budget of model calls in flight (one per configured limit)."""
    return threading.BoundedSemaphore(limit)


def call_with_retries(
    fn: Callable[[], T],
    *,
    attempts: int,
    what: str,
    base_delay: float = 0.5,
    max_delay: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
    slots: threading.BoundedSemaphore | None = None,
) -> T:
    """Retry 429 (honouring Retry-After), 408, 5xx, connection errors and timeouts.

    Each attempt holds one of `slots` while it is in flight; back-off sleeps hold none.
    """
    for attempt in range(1, attempts + 1):
        raise_if_stopped(what)  # every attempt is a provider call: none after a stop
        try:
            if slots is None:
                return fn()
            with slots:
                return fn()
        except Exception as exc:  # noqa: BLE001 - classified below
            retryable = is_retryable(exc)
            if not retryable or attempt == attempts:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                raise GatewayError(
                    f"{what} failed{tries}: {describe_error(exc)}", retryable=retryable
                ) from exc
            delay = _retry_after(root_cause(exc))
            if delay is None:
                delay = min(max_delay, base_delay * 2 ** (attempt - 1)) * (0.5 + random.random())
            sleep(min(delay, max_delay))
    raise AssertionError("unreachable")


STRUCTURED_RE_ASKS = 2


def ask_structured(
    clients: GatewayClients,
    model: str,
    response_model: type[T],
    parts: list[Any],
    what: str,
    extra: dict[str, Any] | None = None,
) -> tuple[T, Any]:
    """One structured vision call: instructor re-asks on invalid output, we retry faults.
    `extra` are further request fields (e.g. logprobs)."""

    def ask_in(mode: str) -> tuple[T, Any]:
        return clients.structured(mode).chat.completions.create_with_completion(
            model=model,
            response_model=response_model,
            messages=[{"role": "user", "content": parts}],
            max_retries=STRUCTURED_RE_ASKS,
            **(extra or {}),
        )

    def ask() -> tuple[T, Any]:
        mode = clients.json_modes.current
        try:
            return ask_in(mode)
        except Exception as exc:  # noqa: BLE001 - re-raised unless JSON mode is what failed
            if mode == "json" and clients.json_modes.fall_back(exc, clients.settings.base_url):
                return ask_in(clients.json_modes.current)
            raise

    return call_with_retries(
        ask,
        attempts=clients.settings.max_retries,
        what=what,
        base_delay=clients.settings.retry_delay_s,
        slots=call_slots(clients.settings.max_concurrent_calls),
    )


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def usage_from_completion(role: str, model: str, latency: float, completion: Any) -> CallUsage:
    """Tokens and cost from an SDK reply or a plain JSON one (OpenRouter's /images)."""
    usage = _get(completion, "usage")
    prompt_tokens = int(_get(usage, "prompt_tokens") or _get(usage, "input_tokens") or 0)
    completion_tokens = int(_get(usage, "completion_tokens") or _get(usage, "output_tokens") or 0)
    cost = None
    extra = usage if isinstance(usage, dict) else (getattr(usage, "model_extra", None) or {})
    if isinstance(extra, dict) and extra.get("cost") is not None:
        try:
            cost = float(extra["cost"])
        except (TypeError, ValueError):
            cost = None
    return record(CallUsage(role, model, latency, prompt_tokens, completion_tokens, cost))
