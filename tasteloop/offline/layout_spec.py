"""Reading a prompt into what the offline generator lays out and how it paints it.

Unknown words are ignored, never errors (the words it knows are in prompt_words.py). The
`Adjustments:` clause moves the qualities of qualities.py by steps.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from tasteloop.measure.colour import HEX_COLOUR, parse_hex
from tasteloop.offline.prompt_words import CSS_COLOURS, MOTIF_WORDS
from tasteloop.offline.qualities import BY_NAME, QUALITIES, STEP

RGB = tuple[int, int, int]
_ADJUST = re.compile(r"\b(" + "|".join(BY_NAME) + r")\s*([+-]\d+(?:\.\d+)?)(!?)", re.IGNORECASE)
# A quality written with "!" was set by the person (a gate note): the critic never moves it.
LOCK = "!"
_WORD = re.compile(r"[a-z]+")
_AVOID_CLAUSE = re.compile(r"\bavoid:[^.]*(\.|$)", re.IGNORECASE)
_NEGATED = re.compile(r"\b(never|not|no|without|rather than|instead of)\b[^.;,:]*", re.IGNORECASE)
DEFAULT_COLOURS: list[tuple[RGB, float]] = [
    ((40, 50, 80), 40),
    ((220, 200, 160), 30),
    ((190, 80, 50), 30),
]
DEFAULT_MOTIFS = ["blobs", "lines"]


def strip_adjustments(prompt: str) -> str:
    """The prompt without its `Adjustments:` clause (the last line's, as the critic writes it).

    Done with string search, not a regex anchored at the end: `\\s*Adjustments:[^\\n]*$` is
    quadratic in a long run of whitespace, and prompts can come from imported profiles.
    """
    body = prompt.rstrip()
    line_start = body.rfind("\n") + 1
    found = body.lower().find("adjustments:", line_start)
    return body if found < 0 else body[:found].rstrip()


def positive_text(prompt: str) -> str:
    """The prompt minus its avoid-list and negated phrases: only what should be painted."""
    without_avoid = _AVOID_CLAUSE.sub(" ", prompt)
    without_avoid = strip_adjustments(without_avoid)
    return _NEGATED.sub(" ", without_avoid)


@dataclass
class LayoutSpec:
    colours: list[tuple[RGB, float]] = field(default_factory=list)
    motifs: list[str] = field(default_factory=list)
    placement: str = "thirds"  # centre | left | right | thirds | symmetric | scattered
    density: float = 0.5
    grain: float = 0.1
    softness: float = 0.15
    brushwork: float = 0.3
    lightness: float = 0.0  # -1 darker … +1 lighter
    contrast: float = 0.0
    saturation: float = 0.0
    straightness: float = 0.0  # -1 curved … +1 ruler-straight
    warmth: float = 0.0  # -1 cooler … +1 warmer colour balance
    style_shift: float = 0.0  # added to the style strength a person chose
    energy: float = 0.5
    monochrome: bool = False
    adjustments: dict[str, float] = field(default_factory=dict)


def parse_adjustments(prompt: str) -> dict[str, float]:
    """The last value written for each adjustable quality wins."""
    found: dict[str, float] = {}
    for name, value, _lock in _ADJUST.findall(prompt):
        found[name.lower()] = float(value)
    return found


def locked_qualities(prompt: str) -> set[str]:
    """The qualities the person set (at the gate): the critic leaves them where they are."""
    return {name.lower() for name, _value, lock in _ADJUST.findall(prompt) if lock}


def set_adjustments(
    prompt: str, adjustments: dict[str, float], locked: set[str] | None = None
) -> str:
    """Rewrite the prompt's `Adjustments:` clause (adding one when missing); the qualities in
    `locked` (default: those the prompt already locks) keep their "!"."""
    base = strip_adjustments(prompt)
    locked = locked_qualities(prompt) if locked is None else locked
    parts = [
        (f"{name} {value:+.0f}" if float(value).is_integer() else f"{name} {value:+.1f}")
        + (LOCK if name in locked else "")
        for name, value in adjustments.items()
        if name in BY_NAME and abs(value) >= 0.05
    ]
    if not parts:
        return base
    return f"{base} Adjustments: {', '.join(parts)}."


def _has(words: set[str], text: str, *phrases: str) -> bool:
    return any((" " in p and p in text) or p in words for p in phrases)


def _weighted_hexes(prompt: str) -> list[tuple[RGB, float]]:
    """Hex colours in first-mention order; a colour's weight is the largest one given."""
    weights: dict[str, float] = {}
    for code, pct in HEX_COLOUR.findall(prompt):
        key = code.lower()
        weights[key] = max(weights.get(key, 0.0), float(pct) if pct else 0.0)
    if not weights:
        return []
    given = sum(weights.values())
    missing = [k for k, w in weights.items() if w == 0]
    fallback = max(5.0, (100 - given) / len(missing)) if missing else 0.0
    return [(parse_hex(k), w or fallback) for k, w in weights.items()]


def motifs_of(words: set[str]) -> list[str]:
    """The motifs a set of words asks for, in the table's order."""
    return [motif for motif, triggers in MOTIF_WORDS.items() if words & set(triggers)]


def _read_colours(spec: LayoutSpec, positive: str, words: set[str]) -> None:
    spec.colours = _weighted_hexes(positive)
    for name, rgb in CSS_COLOURS.items():
        if name in words and len(spec.colours) < 8:
            spec.colours.append((rgb, 10.0))
    spec.colours = spec.colours or list(DEFAULT_COLOURS)


def _read_composition(spec: LayoutSpec, words: set[str], text: str) -> None:
    spec.motifs = motifs_of(words) or list(DEFAULT_MOTIFS)
    for placement, phrases in (
        ("centre", ("centred", "centered", "central", "centre-weighted")),
        ("left", ("off-centre left", "off-center left", "left-weighted")),
        ("right", ("off-centre right", "off-center right", "right-weighted")),
        ("thirds", ("rule of thirds",)),
        ("symmetric", ("symmetrical", "symmetric", "mirrored")),
        ("scattered", ("all-over", "scattered", "edge to edge", "edge-to-edge")),
    ):
        if _has(words, text, *phrases):
            spec.placement = placement
    if _has(words, text, "sparse", "negative space", "minimal", "empty", "spare"):
        spec.density = 0.25
    if _has(words, text, "dense", "busy", "crowded", "packed", "teeming"):
        spec.density = 0.8
    if _has(words, text, "straight lines", "geometric", "rectilinear", "ruler-straight"):
        spec.straightness = 0.6
    if _has(words, text, "curved", "curving", "swirling", "rhythmic curves"):
        spec.straightness = -0.6


def _read_surface(spec: LayoutSpec, words: set[str], text: str) -> None:
    if _has(words, text, "smooth", "no grain", "clean"):
        spec.grain = 0.0
    if _has(words, text, "fine grain", "fine film grain", "subtle grain"):
        spec.grain = 0.25
    elif _has(words, text, "film grain", "grain", "grainy", "noise", "noisy"):
        spec.grain = 0.4
    if _has(words, text, "heavy grain", "coarse grain"):
        spec.grain = 0.7
    if _has(words, text, "soft", "softened", "hazy"):
        spec.softness = 0.45
    if _has(words, text, "blurred", "blurry", "misty"):
        spec.softness = 0.75
    if _has(words, text, "crisp", "sharp", "hard-edged", "hard edges"):
        spec.softness = 0.0
    if _has(words, text, "brushstroke", "brushstrokes", "painterly", "brushwork", "strokes"):
        spec.brushwork = 0.6
    if _has(words, text, "impasto", "thick paint", "agitated"):
        spec.brushwork = 0.85
    if _has(words, text, "flat colour", "flat color", "flat planes", "untextured"):
        spec.brushwork = 0.0


def _read_mood(spec: LayoutSpec, words: set[str], text: str) -> None:
    if _has(words, text, "calm", "serene", "quiet", "still", "tranquil"):
        spec.energy = 0.25
    if _has(words, text, "energetic", "dynamic", "agitated", "turbulent", "vibrant"):
        spec.energy = 0.85
    if _has(words, text, "dark", "moody", "low-key", "nocturnal", "night"):
        spec.lightness -= 0.25
    if _has(words, text, "bright", "luminous", "high-key", "airy"):
        spec.lightness += 0.25
    if _has(words, text, "high contrast", "stark"):
        spec.contrast += 0.3
    if _has(words, text, "low contrast", "muted", "subdued"):
        spec.contrast -= 0.25
    if _has(words, text, "monochrome", "black and white", "greyscale", "grayscale", "ink"):
        spec.monochrome = True


def parse_prompt(prompt: str) -> LayoutSpec:
    positive = positive_text(prompt)
    text = positive.lower()
    words = set(_WORD.findall(text))
    spec = LayoutSpec()
    _read_colours(spec, positive, words)
    _read_composition(spec, words, text)
    _read_surface(spec, words, text)
    _read_mood(spec, words, text)
    spec.adjustments = parse_adjustments(prompt)
    for quality in QUALITIES:
        moved = getattr(spec, quality.setting) + STEP * spec.adjustments.get(quality.name, 0)
        setattr(spec, quality.setting, min(quality.high, max(quality.low, moved)))
    return spec


def adjustment_ranges(prompt: str) -> dict[str, tuple[float, float]]:
    """For each quality, the adjustments (in steps) between which it still moves its setting:
    beyond them the setting stays at the end of its range, from wherever the prompt's own words
    put it ("crisp" starts softness at 0, so no step down softens anything)."""
    base = parse_prompt(strip_adjustments(prompt))
    ranges = {}
    for quality in QUALITIES:
        start = getattr(base, quality.setting)
        # in whole steps, outward: the last step written reaches the end
        low = math.floor((quality.low - start) / STEP + 1e-9)
        high = math.ceil((quality.high - start) / STEP - 1e-9)
        ranges[quality.name] = (low, high)
    return ranges
