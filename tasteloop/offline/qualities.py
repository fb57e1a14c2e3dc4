"""The qualities of a picture the offline generator can be asked to move, as one table.

A prompt's `Adjustments:` clause (written by the critic, or by a person's note at the gate)
moves each by whole steps, e.g. `detail +2, lightness -1`. Each row says which layout setting a
step moves and how far; for the qualities a critic can measure, which feature a step moves by
how much (measured by generating one prompt at successive steps) and what a person calls the
change.
"""

from __future__ import annotations

from dataclasses import dataclass

STEP = 0.12  # how far one adjustment step moves a layout setting


@dataclass(frozen=True)
class Quality:
    name: str  # as written in an Adjustments clause
    setting: str  # the LayoutSpec field a step moves
    low: float
    high: float
    feature: str | None = None  # the measured feature a step moves (None: not measured)
    per_step: float = 0.0  # feature units per step
    dimension: str | None = None  # the critique dimension that feature counts in
    more: str = ""  # the advice to move it up, in a person's words
    less: str = ""  # and down


QUALITIES: tuple[Quality, ...] = (
    # past "dense" only the critic's adjustments go: more marks spread wider, not smaller ones
    Quality(
        "detail", "density", 0.05, 2.0, "edge_density", 0.015, "compositional_style",
        "more detail and denser marks", "more negative space and fewer marks",
    ),
    Quality(
        "grain", "grain", 0.0, 1.0, "grain", 0.004, "texture_feel",
        "finer film grain", "a cleaner surface with less grain",
    ),
    Quality(
        "softness", "softness", 0.0, 1.0, "hf_energy", -0.005, "texture_feel",
        "softer, more blended edges", "crisper edges",
    ),
    Quality(
        "brushwork", "brushwork", 0.0, 1.0, "flat_fraction", -0.05, "texture_feel",
        "more visible brushwork", "flatter colour areas",
    ),
    Quality(
        "lightness", "lightness", -1.0, 1.0, "lightness", 4.0, "palette_tendency",
        "lighter values", "darker values",
    ),
    Quality(
        "contrast", "contrast", -1.0, 1.0, "lightness_spread", 2.5, "emotional_register",
        "stronger contrast", "gentler contrast",
    ),
    Quality(
        "saturation", "saturation", -1.0, 1.0, "chroma", 3.0, "palette_tendency",
        "more saturated colour", "more muted colour",
    ),
    Quality(
        "straightness", "straightness", -1.0, 1.0, "straightness", 0.01, "compositional_style",
        "more straight lines", "more curved movement",
    ),
    Quality("warmth", "warmth", -1.0, 1.0, more="warmer colour", less="cooler colour"),
    # how far the style network moves the picture towards the set's learned style
    Quality("style", "style_shift", -1.0, 1.0, more="more of your references' style"),
)  # fmt: skip

BY_NAME: dict[str, Quality] = {q.name: q for q in QUALITIES}
MEASURED: tuple[Quality, ...] = tuple(q for q in QUALITIES if q.feature is not None)
