"""The offline engine: measured extractor, procedural renderer, measured critic."""

from __future__ import annotations

from tasteloop.domain.engine import Engine
from tasteloop.offline import OFFLINE_MODELS
from tasteloop.offline.critic import MeasuredCritic
from tasteloop.offline.extractor import MeasuredExtractor
from tasteloop.offline.renderer import ProceduralRenderer


def offline_engine() -> Engine:
    extractor, generator, critic = MeasuredExtractor(), ProceduralRenderer(), MeasuredCritic()
    return Engine(
        name="offline",
        extractor=extractor,
        generator=generator,
        critic=critic,
        models=dict(OFFLINE_MODELS),
    )
