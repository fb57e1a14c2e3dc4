"""Choose the engine (offline or gateway) from settings."""

from __future__ import annotations

from tasteloop.config import EngineSettings
from tasteloop.engine_types import Engine


def build_engine(settings: EngineSettings | None = None) -> Engine:
    settings = settings or EngineSettings.from_env()
    if settings.engine == "gateway":
        from tasteloop.gateway_engine import gateway_engine

        return gateway_engine(settings)
    from tasteloop.offline.engine import offline_engine

    return offline_engine()
