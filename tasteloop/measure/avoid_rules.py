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
        return _qualifies(self, low, high)

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

# Where each rule's extreme begins: a picture at or beyond it does what the rule names.
_EXTREME = {
    "no_colour": 12.0,
    "neon": 50.0,
    "greyscale": 14.0,
    "crowded": 0.3,
    "empty": 0.15,
    "grain": 0.025,
    "flat": 0.15,
    "organic": 0.33,
    "rigid": 0.3,
    "bright": 50.0,
    "murky": 58.0,
    "glossy": 0.1,
}


def extreme(key: str) -> float:
    """Where the rule `key`'s extreme begins (a picture at or past it does what it names)."""
    return _EXTREME[key]


def _shows(rule: AvoidRule, value: float) -> bool:
    extreme = _EXTREME[rule.key]
    return value >= extreme if rule.direction == "above" else value <= extreme


def _qualifies(rule: AvoidRule, low: float, high: float) -> bool:
    if rule.key == "neon" and high < _EXTREME["no_colour"]:
        return False  # a colourless set avoids any colour at all, not only neon
    return not _shows(rule, high if rule.direction == "above" else low)


BY_KEY = {rule.key: rule for rule in RULES}


def rules_for_text(item: str) -> list[AvoidRule]:
    lowered = item.lower()
    return [rule for rule in RULES if any(k in lowered for k in rule.keywords)]


def shown_by(item: str, values: list[dict[str, float]]) -> list[int]:
    """Which references (by their features) themselves do what an avoid item names: those at
    the extreme of a rule the item's words name."""
    rules = rules_for_text(item)
    return [
        i
        for i, features in enumerate(values)
        if any(_shows(r, features[r.feature]) for r in rules if r.feature in features)
    ]
