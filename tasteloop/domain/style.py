"""How a profile's style controls reach the painter and the critic."""

from __future__ import annotations

from tasteloop.domain.engine import StyleTarget
from tasteloop.domain.profile import TasteProfile


def weighted_references(profile: TasteProfile, references: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The references heaviest first (upload order among equals); weight 0 leaves one out."""
    weights = profile.style.weights
    if weights is None or len(weights) != len(references):
        return references
    order = sorted(range(len(references)), key=lambda i: -weights[i])
    return tuple(references[i] for i in order if weights[i] > 0)


def emphasis(profile: TasteProfile, count: int) -> tuple[float, ...]:
    """The weights of the references `weighted_references` keeps, in its order; () when the
    person left them all equal."""
    weights = profile.style.weights
    if weights is None or len(weights) != count or len(set(weights)) == 1:
        return ()
    return tuple(sorted((w for w in weights if w > 0), reverse=True))


def style_target(profile: TasteProfile) -> StyleTarget | None:
    """The set's learned style under the profile's weights, and how strongly to paint it."""
    set_style = (profile.measurements or {}).get("style")
    if not set_style:
        return None
    return StyleTarget(vector=tuple(set_style["mean"]), strength=profile.style.strength)
