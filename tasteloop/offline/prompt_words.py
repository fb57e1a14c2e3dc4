"""The offline renderer's vocabulary: turn free prompt text into render settings.

Documented in docs/offline-engine.md. Unknown words are ignored, never errors.

- Colours: hex codes (`#8a5a44`), optionally weighted (`#8a5a44 (40%)`), and CSS colour names.
- Composition: centred, off-centre left / right, rule of thirds, symmetrical, asymmetric,
  sparse / negative space / minimal, dense / busy / crowded.
- Texture: film grain, noise, fine grain, heavy grain, smooth, soft, blurred, crisp, sharp,
  brushstroke, painterly, impasto, flat, hatching, etched.
- Mood: calm, serene, quiet, energetic, agitated, dynamic, dark, moody, bright, luminous.
- Motifs: circles, stripes, waves, grid, horizon / landscape, blobs / organic,
  lines / flow, planes / facets / fragmented, swirls, figure / portrait, street / road,
  hatching, rain.
- Adjustments (written by the offline critic): `detail +2`, `grain -1`, `softness +1`,
  `brushwork +1`, `lightness -2`, `contrast +1`, `saturation -1`, `straightness +1`,
  `warmth +2` (a person's note at the gate, read by `gate_note.py`), `style +1` (how far
  the style network moves the picture towards the set's learned style).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CSS_COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "red": (220, 30, 35),
    "crimson": (220, 20, 60),
    "orange": (255, 140, 0),
    "gold": (255, 215, 0),
    "yellow": (250, 215, 40),
    "ochre": (204, 119, 34),
    "olive": (128, 128, 0),
    "green": (40, 140, 60),
    "teal": (0, 128, 128),
    "turquoise": (64, 224, 208),
    "cyan": (0, 200, 220),
    "blue": (30, 70, 200),
    "navy": (0, 0, 128),
    "indigo": (75, 0, 130),
    "purple": (128, 0, 128),
    "violet": (138, 43, 226),
    "magenta": (255, 0, 255),
    "pink": (255, 150, 180),
    "brown": (120, 70, 40),
    "sienna": (160, 82, 45),
    "beige": (245, 245, 220),
    "ivory": (255, 255, 240),
    "cream": (250, 240, 215),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
    "silver": (192, 192, 192),
    "charcoal": (54, 69, 79),
    "coral": (255, 127, 80),
    "salmon": (250, 128, 114),
    "maroon": (128, 0, 0),
    "lavender": (200, 190, 240),
}

MOTIF_WORDS: dict[str, tuple[str, ...]] = {
    "circles": ("circle", "circles", "disc", "discs", "sun", "moon", "stars", "orb", "orbs"),
    "stripes": ("stripe", "stripes", "bands", "striped"),
    "waves": ("wave", "waves", "sea", "ocean", "harbour", "harbor", "river", "lake", "water"),
    "grid": ("grid", "grids", "rectangles", "mondrian", "city", "buildings", "windows"),
    "horizon": (
        "horizon",
        "landscape",
        "dusk",
        "dawn",
        "field",
        "fields",
        "harbour",
        "harbor",
        "sky",
        "mountains",
        "valley",
        "sunset",
        "shore",
    ),
    "blobs": (
        "blob",
        "blobs",
        "organic",
        "flowers",
        "flower",
        "garden",
        "tree",
        "trees",
        "cypress",
        "cypresses",
    ),
    "street": ("street", "streets", "road", "avenue", "alley", "boulevard", "lane"),
    "lines": ("flow", "flowing", "wind", "streaks", "currents"),
    "planes": (
        "plane",
        "planes",
        "facet",
        "facets",
        "fragmented",
        "cubist",
        "machine",
        "interlocking",
        "shards",
    ),
    "swirls": ("swirl", "swirls", "swirling", "spiral", "spirals", "vortex", "starry"),
    # not "person": tasteloop's own words in a prompt say "the person's note"
    "figure": (
        "portrait",
        "face",
        "head",
        "figure",
        "man",
        "woman",
        "fisherman",
        "sailor",
        "child",
        "girl",
        "boy",
        "sitter",
        "bust",
    ),
    "hatching": ("hatching", "hatched", "etched", "etching", "engraving", "crosshatching"),
    "rain": ("rain", "rainy", "raining", "drizzle", "downpour", "storm"),
}

ADJUSTABLE = (
    "detail",
    "grain",
    "softness",
    "brushwork",
    "lightness",
    "contrast",
    "saturation",
    "straightness",
    "warmth",
    "style",
)

_HEX = re.compile(r"#([0-9a-fA-F]{6})\b(?:\s*\((\d{1,3})\s*%\))?")
_ADJUST = re.compile(r"\b(" + "|".join(ADJUSTABLE) + r")\s*([+-]\d+(?:\.\d+)?)", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")
_AVOID_CLAUSE = re.compile(r"\bavoid:[^.]*(\.|$)", re.IGNORECASE)
_NEGATED = re.compile(r"\b(never|not|no|without|rather than|instead of)\b[^.;,:]*", re.IGNORECASE)


def strip_adjustments(prompt: str) -> str:
    """The prompt without its `Adjustments:` clause (the last line's, as the critic writes it).

    Done with string search, not a regex anchored at the end: `\\s*Adjustments:[^\n]*$` is
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
class RenderSpec:
    colours: list[tuple[tuple[int, int, int], float]] = field(default_factory=list)
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


def parse_hex(text: str) -> tuple[int, int, int]:
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def parse_adjustments(prompt: str) -> dict[str, float]:
    """The last value written for each adjustable quality wins."""
    found: dict[str, float] = {}
    for name, value in _ADJUST.findall(prompt):
        found[name.lower()] = float(value)
    return found


def _has(words: set[str], text: str, *phrases: str) -> bool:
    return any((" " in p and p in text) or p in words for p in phrases)


def _weighted_hexes(prompt: str) -> list[tuple[tuple[int, int, int], float]]:
    """Hex colours in first-mention order; a colour's weight is the largest one given."""
    weights: dict[str, float] = {}
    for code, pct in _HEX.findall(prompt):
        key = code.lower()
        weights[key] = max(weights.get(key, 0.0), float(pct) if pct else 0.0)
    if not weights:
        return []
    given = sum(weights.values())
    missing = [k for k, w in weights.items() if w == 0]
    fallback = max(5.0, (100 - given) / len(missing)) if missing else 0.0
    return [(parse_hex(k), w or fallback) for k, w in weights.items()]


def parse_prompt(prompt: str) -> RenderSpec:
    text = positive_text(prompt).lower()
    words = set(_WORD.findall(text))
    spec = RenderSpec()
    spec.colours = _weighted_hexes(positive_text(prompt))
    for name, rgb in CSS_COLOURS.items():
        if name in words and len(spec.colours) < 8:
            spec.colours.append((rgb, 10.0))
    if not spec.colours:
        spec.colours = [((40, 50, 80), 40), ((220, 200, 160), 30), ((190, 80, 50), 30)]

    for motif, triggers in MOTIF_WORDS.items():
        if words & set(triggers):
            spec.motifs.append(motif)
    if not spec.motifs:
        spec.motifs = ["blobs", "lines"]

    if _has(words, text, "centred", "centered", "central", "centre-weighted"):
        spec.placement = "centre"
    if _has(words, text, "off-centre left", "off-center left", "left-weighted"):
        spec.placement = "left"
    if _has(words, text, "off-centre right", "off-center right", "right-weighted"):
        spec.placement = "right"
    if _has(words, text, "rule of thirds"):
        spec.placement = "thirds"
    if _has(words, text, "symmetrical", "symmetric", "mirrored"):
        spec.placement = "symmetric"
    if _has(words, text, "all-over", "scattered", "edge to edge", "edge-to-edge"):
        spec.placement = "scattered"

    if _has(words, text, "sparse", "negative space", "minimal", "empty", "spare"):
        spec.density = 0.25
    if _has(words, text, "dense", "busy", "crowded", "packed", "teeming"):
        spec.density = 0.8

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
    if _has(words, text, "straight lines", "geometric", "rectilinear", "ruler-straight"):
        spec.straightness = 0.6
    if _has(words, text, "curved", "curving", "swirling", "rhythmic curves"):
        spec.straightness = -0.6

    adjustments = parse_adjustments(prompt)
    spec.adjustments = adjustments
    step = 0.12
    # Past "dense" only the critic's adjustments go: more marks spread wider, not smaller ones.
    spec.density = _clip(spec.density + step * adjustments.get("detail", 0), 0.05, 2.0)
    spec.grain = _clip(spec.grain + step * adjustments.get("grain", 0), 0.0, 1.0)
    spec.softness = _clip(spec.softness + step * adjustments.get("softness", 0), 0.0, 1.0)
    spec.brushwork = _clip(spec.brushwork + step * adjustments.get("brushwork", 0), 0.0, 1.0)
    spec.lightness = _clip(spec.lightness + step * adjustments.get("lightness", 0), -1.0, 1.0)
    spec.contrast = _clip(spec.contrast + step * adjustments.get("contrast", 0), -1.0, 1.0)
    spec.saturation = _clip(spec.saturation + step * adjustments.get("saturation", 0), -1.0, 1.0)
    spec.straightness = _clip(
        spec.straightness + step * adjustments.get("straightness", 0), -1.0, 1.0
    )
    spec.warmth = _clip(step * adjustments.get("warmth", 0), -1.0, 1.0)
    spec.style_shift = _clip(step * adjustments.get("style", 0), -1.0, 1.0)
    return spec


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def set_adjustments(prompt: str, adjustments: dict[str, float]) -> str:
    """Rewrite the prompt's `Adjustments:` clause (adding one when missing)."""
    base = strip_adjustments(prompt)
    parts = [
        f"{name} {value:+.0f}" if float(value).is_integer() else f"{name} {value:+.1f}"
        for name, value in adjustments.items()
        if name in ADJUSTABLE and abs(value) >= 0.05
    ]
    if not parts:
        return base
    return f"{base} Adjustments: {', '.join(parts)}."
