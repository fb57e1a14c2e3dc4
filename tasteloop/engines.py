"""The registry of engines: which one a configuration means, what each role's model is, and
whether it costs money. It knows every engine; no engine imports it."""

from __future__ import annotations

from tasteloop.config import EngineSettings
from tasteloop.domain.engine import Engine
from tasteloop.offline import OFFLINE_MODELS

OFFLINE = "offline"
GATEWAY = "gateway"
ENGINES = (OFFLINE, GATEWAY)


def costs_money(engine: str) -> bool:
    """Whether an engine's calls are paid for, so spending limits apply (the offline engine is
    free; anything else is treated as paid, including an engine that failed to configure)."""
    return engine != OFFLINE


def engine_models(settings: EngineSettings) -> dict[str, str]:
    """Which model does each role, known without building the engine (the web app records it)."""
    if settings.engine == GATEWAY:
        from tasteloop.gateway.engine import gateway_models

        return gateway_models(settings)
    return dict(OFFLINE_MODELS)


def build_engine(settings: EngineSettings | None = None) -> Engine:
    settings = settings or EngineSettings.from_env()
    if settings.engine == GATEWAY:
        from tasteloop.gateway.engine import gateway_engine

        return gateway_engine(settings)
    from tasteloop.offline.engine import offline_engine

    return offline_engine()
