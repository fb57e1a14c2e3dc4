"""The gateway engine: vision extraction, image generation and critique over HTTP."""

from __future__ import annotations

from tasteloop.client import make_clients
from tasteloop.config import EngineSettings
from tasteloop.engine_types import Engine
from tasteloop.engines import engine_models
from tasteloop.generator.client import GatewayGenerator
from tasteloop.taste.critic import GatewayCritic
from tasteloop.taste.extractor import GatewayExtractor


def gateway_engine(settings: EngineSettings) -> Engine:
    clients = make_clients(settings)
    return Engine(
        name="gateway",
        extractor=GatewayExtractor(clients),
        generator=GatewayGenerator(clients),
        critic=GatewayCritic(clients),
        models=engine_models(settings),
    )
