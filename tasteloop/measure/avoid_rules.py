"""Avoid-list items the offline engine can check by measurement.

Each rule names a trait at the opposite extreme of something every reference agrees on.
A rule is found again from free text by keywords, so an avoid-list the user edited by hand
is still judged (items with no recognisable keyword are kept as words only).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AvoidRule:
    key: str
    text: str
    feature: str
    direction: str  # "above": violated when the image goes above the limit; "below": under it
    keywords: tuple[str, ...]
    margin: float

    def applies_to_set(self, low: float, high: float) -> bool:
        """Does every reference sit on the safe side of this rule's extreme?"""
        return _QUALIFIES[self.key](low, high)

    def limit(self, low: float, high: float) -> float:
        # Twice the noticeable margin: three references under-sample a set's range, and a
        # tighter limit punished held-out members of the same set in the ranking benchmark.
        slack = 2 * self.margin
        return high + slack if self.direction == "above" else low - slack

    def violated(self, value: float, limit: float) -> bool:
        return value > limit if self.direction == "above" else value < limit


RULES: tuple[AvoidRule, ...] = (
    AvoidRule(
        "no_colour",
        "any colour at all: keep to ink tones on paper",
        "chroma",
        "above",
        ("colour at all", "any colour", "ink tones"),
        8.0,
    ),
    AvoidRule(
        "neon",
        "neon fully saturated colour",
        "chroma_p90",
        "above",
        ("neon", "fully saturated", "oversaturated"),
        15.0,
    ),
    AvoidRule(
        "greyscale",
        "washed-out greyscale or timid muted colour",
        "chroma",
        "below",
        ("greyscale", "washed-out", "muted colour", "desaturated"),
        6.0,
    ),
    AvoidRule(
        "crowded",
        "crowded busy frames with no room to breathe",
        "edge_density",
        "above",
        ("crowded", "busy", "cluttered"),
        0.12,
    ),
    AvoidRule(
        "empty",
        "large empty areas and minimal sparse frames",
        "negative_space",
        "above",
        ("empty", "sparse", "minimal"),
        0.12,
    ),
    AvoidRule(
        "grain", "heavy noise or film grain", "grain", "above", ("grain", "noise", "noisy"), 0.02
    ),
    AvoidRule(
        "flat",
        "flat untextured colour fields",
        "flat_fraction",
        "above",
        ("flat", "untextured"),
        0.15,
    ),
    AvoidRule(
        "organic",
        "loose curvy organic forms",
        "straightness",
        "below",
        ("curvy", "organic", "loose"),
        0.08,
    ),
    AvoidRule(
        "rigid",
        "rigid ruler-straight grids",
        "straightness",
        "above",
        ("ruler", "rigid", "grid"),
        0.08,
    ),
    AvoidRule(
        "bright",
        "bright high-key washes of light",
        "lightness",
        "above",
        ("high-key", "bright"),
        10.0,
    ),
    AvoidRule(
        "murky",
        "murky dark low-key scenes",
        "lightness",
        "below",
        ("murky", "low-key", "dark"),
        10.0,
    ),
    AvoidRule(
        "glossy",
        "glossy airbrushed digital smoothness",
        "hf_energy",
        "below",
        ("glossy", "airbrushed", "digital smoothness", "smooth"),
        0.03,
    ),
)

_QUALIFIES = {
    "no_colour": lambda lo, hi: hi < 12,
    "neon": lambda lo, hi: hi < 50 and hi >= 12,
    "greyscale": lambda lo, hi: lo > 14,
    "crowded": lambda lo, hi: hi < 0.3,
    "empty": lambda lo, hi: hi < 0.15,
    "grain": lambda lo, hi: hi < 0.025,
    "flat": lambda lo, hi: hi < 0.15,
    "organic": lambda lo, hi: lo > 0.33,
    "rigid": lambda lo, hi: hi < 0.3,
    "bright": lambda lo, hi: hi < 50,
    "murky": lambda lo, hi: lo > 58,
    "glossy": lambda lo, hi: lo > 0.1,
}

BY_KEY = {rule.key: rule for rule in RULES}


def rules_for_text(item: str) -> list[AvoidRule]:
    lowered = item.lower()
    return [rule for rule in RULES if any(k in lowered for k in rule.keywords)]
