"""The offline engine: measured extractor, layout-and-paint generator, measured critic."""

from __future__ import annotations

from tasteloop.domain.engine import Engine
from tasteloop.offline import OFFLINE_MODELS
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator


def offline_engine() -> Engine:
    return Engine(
        name="offline",
        extractor=OfflineExtractor(),
        generator=OfflineGenerator(),
        critic=OfflineCritic(),
        models=dict(OFFLINE_MODELS),
    )
