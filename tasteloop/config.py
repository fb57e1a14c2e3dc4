"""Settings from the environment (and `.env`), with one-sentence errors for bad values."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

DEFAULT_IMAGE_MODEL = "google/gemini-3.1-flash-image-preview"


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message is one sentence naming the variable."""


def _clean(value: str | None) -> str:
    if value is None:
        return ""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    return value


def load_env(path: str | os.PathLike[str] | None = None) -> None:
    """Read `.env` from the working directory (never overriding the real environment)."""
    load_dotenv(Path(path) if path else Path.cwd() / ".env", override=False)


IMAGE_ENDPOINTS = ("chat", "images", "openrouter")
JSON_MODE_SETTINGS = ("auto", "json", "md_json", "tools")
REFINE_SETTINGS = ("regenerate", "edit")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def env_flag(name: str, default: bool = False, env: dict[str, str] | None = None) -> bool:
    """A true/false setting: 1/true/yes/on or 0/false/no/off (any case); blank is `default`."""
    value = _clean((os.environ if env is None else env).get(name)).lower()
    if not value:
        return default
    if value not in _TRUE + _FALSE:
        raise ConfigError(f"{name} must be 1 or 0, not {value!r}.")
    return value in _TRUE


def _one_of(name: str, chosen: str, options: tuple[str, ...]) -> str:
    if chosen not in options:
        raise ConfigError(f"{name} must be one of {', '.join(options)}, not {chosen!r}.")
    return chosen


def _image_endpoint(env: dict[str, str]) -> str:
    chosen = _clean(env.get("TASTELOOP_IMAGE_ENDPOINT")).lower()
    if not chosen:  # the older switch
        legacy = env_flag("TASTELOOP_IMAGES_API", env=env)
        chosen = "images" if legacy else "chat"
    return _one_of("TASTELOOP_IMAGE_ENDPOINT", chosen, IMAGE_ENDPOINTS)


@dataclass(frozen=True)
class EngineSettings:
    engine: str  # "offline" | "gateway"
    base_url: str = ""
    api_key: str = ""
    image_model: str = DEFAULT_IMAGE_MODEL
    vision_model: str = DEFAULT_IMAGE_MODEL
    timeout_s: float = 120.0
    max_retries: int = 3
    # the first back-off between retries (doubling, with jitter); a Retry-After header wins
    retry_delay_s: float = 0.5
    # where images are asked for: "chat" (chat completions with image output), "images" (the
    # OpenAI images.generate endpoint) or "openrouter" (OpenRouter's dedicated POST /images)
    image_endpoint: str = "chat"
    json_mode: str = "auto"  # how structured answers are asked for (tasteloop.gateway.json_mode)
    # send the user's references with each generation request, as style to take (not subjects)
    style_references: bool = True
    # "edit": from the second iteration, send the best image so far to be edited with the
    # revised prompt; "regenerate": paint afresh each time
    refine: str = "regenerate"
    # model calls in flight at once in one process (a worker's best-of-N shares this budget)
    max_concurrent_calls: int = 32
    # private hosts whose image URLs may be fetched (a self-hosted gateway's file server)
    fetch_allow_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> EngineSettings:
        env = dict(os.environ) if env is None else env
        base_url = _clean(env.get("BASE_URL"))
        api_key = _clean(env.get("API_KEY"))
        forced = _clean(env.get("TASTELOOP_ENGINE")).lower()
        if forced not in ("", "offline", "gateway"):
            raise ConfigError(f"TASTELOOP_ENGINE must be 'offline' or 'gateway', not {forced!r}.")
        engine = forced or ("gateway" if base_url and api_key else "offline")
        if engine == "gateway":
            if not base_url:
                raise ConfigError("BASE_URL is not set: the gateway engine needs the endpoint URL.")
            if not api_key:
                raise ConfigError("API_KEY is not set: the gateway engine needs a key.")
        image_model = _clean(env.get("TASTELOOP_IMAGE_MODEL")) or DEFAULT_IMAGE_MODEL
        vision_model = _clean(env.get("TASTELOOP_VISION_MODEL")) or image_model
        try:
            timeout_s = float(_clean(env.get("TASTELOOP_TIMEOUT")) or 120)
            max_retries = int(_clean(env.get("TASTELOOP_MAX_RETRIES")) or 3)
            max_concurrent = int(_clean(env.get("TASTELOOP_MAX_CONCURRENT_CALLS")) or 32)
            retry_delay_s = float(_clean(env.get("TASTELOOP_RETRY_DELAY")) or 0.5)
        except ValueError as exc:
            raise ConfigError(
                "TASTELOOP_TIMEOUT / TASTELOOP_MAX_RETRIES / TASTELOOP_MAX_CONCURRENT_CALLS / "
                f"TASTELOOP_RETRY_DELAY must be numbers ({exc})."
            ) from None
        if max_concurrent < 1:
            raise ConfigError("TASTELOOP_MAX_CONCURRENT_CALLS must be at least 1.")
        if not 0 <= retry_delay_s <= 60:
            raise ConfigError("TASTELOOP_RETRY_DELAY must be between 0 and 60 seconds.")
        return cls(
            engine=engine,
            base_url=base_url,
            api_key=api_key,
            image_model=image_model,
            vision_model=vision_model,
            timeout_s=timeout_s,
            max_retries=max_retries,
            max_concurrent_calls=max_concurrent,
            retry_delay_s=retry_delay_s,
            image_endpoint=_image_endpoint(env),
            json_mode=_one_of(
                "TASTELOOP_JSON_MODE",
                _clean(env.get("TASTELOOP_JSON_MODE")).lower() or "auto",
                JSON_MODE_SETTINGS,
            ),
            style_references=env_flag("TASTELOOP_STYLE_REFERENCES", True, env),
            refine=_one_of(
                "TASTELOOP_REFINE",
                _clean(env.get("TASTELOOP_REFINE")).lower() or "regenerate",
                REFINE_SETTINGS,
            ),
            fetch_allow_hosts=frozenset(
                host.strip().lower()
                for host in _clean(env.get("TASTELOOP_FETCH_ALLOW_HOSTS")).split(",")
                if host.strip()
            ),
        )
