"""The registry of engines: which one a configuration means, what each role's model is, and
whether it costs money. It knows every engine; no engine imports it."""

from __future__ import annotations

from tasteloop.config import EngineSettings
from tasteloop.domain.engine import Engine
from tasteloop.domain.shape import PictureShape
from tasteloop.domain.subject import IntentReading
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


def intent_reading(settings: EngineSettings, intent: str) -> IntentReading:
    """What the configured engine will make of this intent, before anything is painted."""
    if settings.engine == GATEWAY:
        return IntentReading(
            judged_by=f"{settings.vision_model} checks which parts of it each picture shows"
        )
    from tasteloop.offline.intent_reading import CONNECT_A_MODEL, what_it_can_draw

    drawable, undrawable, qualities = what_it_can_draw(intent)
    return IntentReading(
        drawable=[p.word for p in drawable],
        undrawable=[p.word for p in undrawable],
        qualities=[p.word for p in qualities],
        judged_by="the sketch engine checks that each motif it drew is still visible once painted",
        advice=CONNECT_A_MODEL if undrawable else "",
    )


def shape_problem(settings: EngineSettings, shape: PictureShape) -> str | None:
    """Why the configured engine cannot paint at this shape and size, in a sentence for the
    person, before anything is spent; None when it can."""
    if settings.engine == GATEWAY:
        from tasteloop.gateway.generator import shape_problem as endpoint_problem

        return endpoint_problem(settings, shape)
    from tasteloop.offline.generator.layout import OFFLINE_SIZES

    if shape.size not in OFFLINE_SIZES:
        return (
            f"The sketch engine paints at {', '.join(OFFLINE_SIZES)} only (1024 px on the long "
            f"side), so {shape.size} is not available; choose 1K, or connect an image model "
            "(BASE_URL and API_KEY, see the README) for larger pictures."
        )
    return None


def build_engine(settings: EngineSettings | None = None) -> Engine:
    settings = settings or EngineSettings.from_env()
    if settings.engine == GATEWAY:
        from tasteloop.gateway.engine import gateway_engine

        return gateway_engine(settings)
    from tasteloop.offline.engine import offline_engine

    return offline_engine()
