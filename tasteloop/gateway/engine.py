"""The gateway engine: vision extraction, image generation and critique over HTTP."""

from __future__ import annotations

from tasteloop.config import EngineSettings
from tasteloop.domain.engine import Engine
from tasteloop.gateway.client import make_clients
from tasteloop.gateway.critic import GatewayCritic
from tasteloop.gateway.extractor import GatewayExtractor
from tasteloop.gateway.generator import GatewayGenerator


def gateway_models(settings: EngineSettings) -> dict[str, str]:
    """Which model does each role (known without building the engine: runs record it)."""
    return {
        "extract": settings.vision_model,
        "generate": settings.image_model,
        "critique": settings.vision_model,
    }


def gateway_engine(settings: EngineSettings) -> Engine:
    clients = make_clients(settings)
    return Engine(
        name="gateway",
        extractor=GatewayExtractor(clients),
        generator=GatewayGenerator(clients),
        critic=GatewayCritic(clients),
        models=gateway_models(settings),
    )
