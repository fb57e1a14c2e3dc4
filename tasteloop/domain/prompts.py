"""The prompts the loop starts from: the person's intent constrained by every profile field."""

from __future__ import annotations

from tasteloop.domain.profile import TasteProfile


def initial_prompt(intent: str, profile: TasteProfile) -> str:
    """The first generation prompt: the user's intent constrained by every profile field."""
    return (
        f"{intent.strip()}. "
        f"Principles: {'; '.join(profile.principles)}. "
        f"Palette: {profile.palette_tendency} "
        f"Composition: {profile.compositional_style} "
        f"Mood: {profile.emotional_register} "
        f"Texture: {profile.texture_feel} "
        f"Avoid: {'; '.join(profile.avoid_list)}."
        + (f" Colours: {', '.join(profile.palette)}." if profile.palette else "")
    )
