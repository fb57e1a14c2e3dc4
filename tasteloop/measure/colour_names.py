"""Colours in words a painter uses: the nearest of a palette of named pigments and tones."""

from __future__ import annotations

import numpy as np

from tasteloop.measure.colour import srgb_to_lab

NAMED: dict[str, tuple[int, int, int]] = {
    "ivory": (245, 240, 225),
    "paper white": (250, 250, 248),
    "pale grey": (200, 200, 198),
    "warm grey": (150, 140, 128),
    "cool grey": (135, 142, 150),
    "charcoal": (50, 50, 52),
    "ink black": (15, 15, 18),
    "sepia": (112, 66, 20),
    "umber": (99, 81, 71),
    "burnt sienna": (138, 54, 15),
    "terracotta": (190, 95, 65),
    "raw sienna": (200, 155, 115),
    "ochre": (204, 150, 50),
    "straw yellow": (228, 210, 120),
    "lemon yellow": (245, 230, 60),
    "cadmium orange": (235, 125, 35),
    "vermilion": (220, 60, 40),
    "crimson": (170, 25, 45),
    "rose": (215, 130, 150),
    "plum": (110, 50, 90),
    "violet": (120, 80, 160),
    "ultramarine": (40, 50, 150),
    "prussian blue": (25, 45, 75),
    "cobalt blue": (60, 95, 175),
    "sky blue": (140, 180, 220),
    "slate blue": (90, 105, 130),
    "teal": (30, 110, 115),
    "turquoise": (70, 180, 175),
    "viridian": (40, 120, 90),
    "sap green": (80, 110, 40),
    "olive": (120, 115, 60),
    "sage": (150, 165, 130),
    "moss": (95, 100, 60),
}
_LABS = {name: srgb_to_lab(np.array(rgb, dtype=float) / 255.0) for name, rgb in NAMED.items()}
# the names that are colours (not greys, paper or ink): an accent is never called a grey
_CHROMATIC = {name: lab for name, lab in _LABS.items() if np.hypot(lab[1], lab[2]) >= 15}


def colour_name(lab: tuple[float, float, float] | np.ndarray, chromatic: bool = False) -> str:
    target = np.asarray(lab, dtype=float)
    names = _CHROMATIC if chromatic else _LABS
    return min(names, key=lambda name: float(np.linalg.norm(names[name] - target)))


def names_of(
    labs: list[tuple[float, float, float]], most: int = 4, chromatic: bool = False
) -> list[str]:
    """The colours' names, in the order given, each name once."""
    return list(dict.fromkeys(colour_name(lab, chromatic) for lab in labs))[:most]


def joined(words: list[str]) -> str:
    """ "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
