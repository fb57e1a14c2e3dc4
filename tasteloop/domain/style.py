"""How a profile's style controls reach the generator and the critic."""

from __future__ import annotations

from tasteloop.domain.engine import StyleTarget
from tasteloop.domain.profile import TasteProfile
from tasteloop.domain.references import heaviest_first


def weighted_references(profile: TasteProfile, references: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The references heaviest first (upload order among equals); weight 0 leaves one out."""
    return tuple(heaviest_first(references, profile.style.weights))


def emphasis(profile: TasteProfile, count: int) -> tuple[float, ...]:
    """The weights of the references `weighted_references` keeps, in its order; () when the
    person left them all equal."""
    weights = profile.style.weights
    if weights is None or len(weights) != count or len(set(weights)) == 1:
        return ()
    return tuple(sorted((w for w in weights if w > 0), reverse=True))


def style_target(profile: TasteProfile) -> StyleTarget | None:
    """The set's learned style under the profile's weights, and how strongly to paint it."""
    measured = profile.measurements
    if measured is None or measured.style is None:
        return None
    return StyleTarget(vector=tuple(measured.style.mean), strength=profile.style.strength)
