"""The gateway engine: vision extraction, image generation and critique over HTTP."""

from __future__ import annotations

from tasteloop.config import EngineSettings
from tasteloop.domain.engine import Engine
from tasteloop.engines import engine_models
from tasteloop.gateway.client import make_clients
from tasteloop.gateway.critic import GatewayCritic
from tasteloop.gateway.extractor import GatewayExtractor
from tasteloop.gateway.generator import GatewayGenerator


def gateway_engine(settings: EngineSettings) -> Engine:
    clients = make_clients(settings)
    return Engine(
        name="gateway",
        extractor=GatewayExtractor(clients),
        generator=GatewayGenerator(clients),
        critic=GatewayCritic(clients),
        models=engine_models(settings),
    )
