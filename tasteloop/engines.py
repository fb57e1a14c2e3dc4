"""Choose the engine (offline or gateway) from settings."""

from __future__ import annotations

from tasteloop.config import EngineSettings
from tasteloop.domain.engine import Engine
from tasteloop.offline import OFFLINE_MODELS


def engine_models(settings: EngineSettings) -> dict[str, str]:
    """Which model does each role, known without building the engine (the web app records it)."""
    if settings.engine == "gateway":
        return {
            "extract": settings.vision_model,
            "generate": settings.image_model,
            "critique": settings.vision_model,
        }
    return dict(OFFLINE_MODELS)


def build_engine(settings: EngineSettings | None = None) -> Engine:
    settings = settings or EngineSettings.from_env()
    if settings.engine == "gateway":
        from tasteloop.gateway.engine import gateway_engine

        return gateway_engine(settings)
    from tasteloop.offline.engine import offline_engine

    return offline_engine()
