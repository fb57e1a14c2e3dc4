"""A person's note at the gate ("warmer, fewer boats"), read through the generator's vocabulary.

Comparative phrases become adjustments of the qualities the generator can move. The rest of the
note stays in the prompt, where the generator picks up any colour, motif or mood word it knows;
the words it knows nothing about are reported back, so the person sees what was not acted on.
"""

from __future__ import annotations

import re

from tasteloop.domain.engine import NoteRevision
from tasteloop.offline.layout_spec import (
    LayoutSpec,
    locked_qualities,
    parse_adjustments,
    parse_prompt,
    set_adjustments,
    strip_adjustments,
)

STEPS = 2  # adjustment steps per phrase; "much" / "a lot" doubles it

# (control, direction, phrases); longer phrases first where one contains another
_RULES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("contrast", 1, ("more contrast", "higher contrast", "punchier", "starker")),
    ("contrast", -1, ("less contrast", "lower contrast", "gentler contrast")),
    (
        "saturation",
        1,
        (
            "more colourful",
            "more colorful",
            "more saturated",
            "more vivid",
            "more vibrant",
            "richer colours",
            "richer colors",
            "more colour",
            "more color",
            "bolder colours",
            "bolder colors",
        ),
    ),
    (
        "saturation",
        -1,
        (
            "less colourful",
            "less colorful",
            "less saturated",
            "less colour",
            "less color",
            "more muted",
            "desaturated",
            "greyer",
            "grayer",
            "muted",
            "subdued",
        ),
    ),
    (
        "warmth",
        1,
        (
            "warmer",
            "more warmth",
            "warm colours",
            "warm colors",
            "warm tones",
            "warm light",
            "less cold",
            "less cool",
        ),
    ),
    ("warmth", -1, ("cooler", "colder", "less warm", "cool colours", "cool colors", "cool tones")),
    ("lightness", 1, ("lighter", "brighter", "more light", "less dark", "airier")),
    (
        "lightness",
        -1,
        ("darker", "dimmer", "moodier", "less bright", "more shadow", "more shadows"),
    ),
    ("grain", 1, ("more grain", "grainier", "noisier", "rougher")),
    ("grain", -1, ("less grain", "no grain", "smoother", "less noise", "less noisy")),
    ("softness", 1, ("softer", "blurrier", "hazier", "dreamier", "more blur", "mistier")),
    ("softness", -1, ("sharper", "crisper", "more defined", "less blur", "less blurry")),
    (
        "brushwork",
        1,
        (
            "more brushwork",
            "more painterly",
            "more brushstrokes",
            "looser",
            "thicker paint",
            "more texture",
            "more textured",
        ),
    ),
    ("brushwork", -1, ("less brushwork", "less painterly", "less texture", "flatter", "tighter")),
    ("straightness", 1, ("straighter", "more geometric", "more angular")),
    (
        "straightness",
        -1,
        ("curvier", "more curves", "more curved", "rounder", "more organic", "more fluid"),
    ),
    (
        "detail",
        1,
        (
            "more detail",
            "more detailed",
            "more details",
            "busier",
            "denser",
            "more going on",
            "fuller",
        ),
    ),
    (
        "detail",
        -1,
        (
            "less detail",
            "fewer details",
            "fewer",
            "simpler",
            "sparser",
            "less busy",
            "less clutter",
            "less cluttered",
            "more space",
            "more empty space",
            "emptier",
            "calmer composition",
        ),
    ),
)
_INTENSIFIER = r"(?:(much|far|a lot|way|lots)\s+)?"
_COMPILED = [
    (control, direction, re.compile(rf"\b{_INTENSIFIER}{re.escape(phrase)}\b"))
    for control, direction, phrases in _RULES
    for phrase in phrases
]
_WORD = re.compile(r"[a-z][a-z'-]*")
# Words that carry no request of their own.
_FILLER = frozenset(
    "a an the and or but with without of in on at to for by from into please bit little "
    "slightly somewhat more less much very too it its this that these those be is are make "
    "keep some any so just also maybe rather than like feel look image picture one ones "
    "no not".split()
)
_NOTHING: LayoutSpec = parse_prompt("")


def _understood(word: str) -> bool:
    """A word the generator acts on: on its own it changes what would be painted."""
    return parse_prompt(word) != _NOTHING


def read_note(prompt: str, note: str) -> NoteRevision:
    """The next prompt with the note applied, and what was and was not acted on."""
    text = note.lower()
    adjustments = parse_adjustments(prompt)
    acted: list[str] = []
    for control, direction, pattern in _COMPILED:
        match = pattern.search(text)
        if match is None:
            continue
        steps = direction * STEPS * (2 if match.group(1) else 1)
        adjustments[control] = adjustments.get(control, 0.0) + steps
        acted.append(f"“{match.group(0)}”: {control} {steps:+d}")
        text = text[: match.start()] + " " * len(match.group(0)) + text[match.end() :]
    clauses = (" ".join(c.split()) for c in re.split(r"[,;.!?\n]", text))
    remainder = ", ".join(c for c in clauses if _WORD.search(c))
    content = [w for w in _WORD.findall(text) if w not in _FILLER]
    known = [w for w in dict.fromkeys(content) if _understood(w)]
    unknown = tuple(w for w in dict.fromkeys(content) if w not in known)
    if known:
        acted.append("kept in the prompt, which the generator reads: " + ", ".join(known))
    base = strip_adjustments(prompt)
    if content:
        base = f"{base.rstrip('. ')}. The person's note: {remainder}."
    # what the note moved is the person's: no later critique moves it back
    locked = locked_qualities(prompt) | {
        control for control, _d, pattern in _COMPILED if pattern.search(note.lower())
    }
    return NoteRevision(
        prompt=set_adjustments(base, adjustments, locked),
        acted_on=tuple(acted),
        not_understood=unknown,
    )
