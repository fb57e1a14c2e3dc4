"""The words the offline generator knows: colour names and the motifs it can lay out.

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
- Adjustments: see qualities.py.
"""

from __future__ import annotations

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
        "forest",
        "woods",
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
