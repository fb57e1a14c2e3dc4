"""Which parts of an intent the offline generator can draw.

The generator is a sketch engine: it lays out a few motifs (offline/prompt_words.py) and paints
them in the learned style. An intent's content words (not "a", "of", "at"...) are its parts: a
word that triggers a motif is drawn as that motif; a colour name is painted as that colour; a word
the generator reads as a quality of the whole picture ("quiet", "misty", "dark") changes how it
is painted and is judged with the taste, not looked for as a thing; any other word ("cat",
"lighthouse", "sleeping") it cannot draw, and says so before anything is painted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasteloop.offline.layout_spec import LayoutSpec, parse_prompt
from tasteloop.offline.prompt_words import CSS_COLOURS, MOTIF_WORDS

_WORD = re.compile(r"[a-z][a-z'-]*")
# words that name no part of a picture
STOPWORDS = frozenset(
    """
    a an the and or but nor of in on at to for by from with without into onto over under
    above below behind beside between through across along around near among against before
    after during while as like than then so very too quite rather some any each every all
    both either neither this that these those it its it's is are was were be been being has
    have had do does did my your his her our their there here who whom whose which what when
    where why how one ones two three lots lot few many much more most less least just also
    only even still again
    picture painting image scene view drawing artwork composition illustration depiction
    style rendition version study piece sketch
    """.split()
)
MAX_PARTS = 8


@dataclass(frozen=True)
class IntentPart:
    word: str
    motifs: tuple[str, ...]  # what the generator lays out for it (empty: nothing)
    colour: bool = False  # a colour name: painted, and checked, as that colour
    quality: bool = False  # read as a quality of the whole picture (mood, light, surface)

    @property
    def can_draw(self) -> bool:
        return bool(self.motifs) or self.colour


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("sh", "ch", "x", "s")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _motifs_for(word: str) -> tuple[str, ...]:
    forms = {word, _singular(word)}
    return tuple(m for m, triggers in MOTIF_WORDS.items() if forms & set(triggers))


_PLAIN = parse_prompt("")
_SETTINGS = tuple(
    name for name in vars(_PLAIN) if name not in ("motifs", "colours", "adjustments", "locked")
)


def _is_quality(word: str) -> bool:
    """The generator's own reading decides: the word changes a setting of the whole picture."""
    spec: LayoutSpec = parse_prompt(word)
    return any(getattr(spec, name) != getattr(_PLAIN, name) for name in _SETTINGS)


def read_intent(intent: str) -> list[IntentPart]:
    """The intent's parts, in its own order and words (at most MAX_PARTS)."""
    parts: list[IntentPart] = []
    seen: set[str] = set()
    for word in _WORD.findall(intent.lower()):
        word = word.strip("'-")
        if not word or word in STOPWORDS or word in seen or len(word) < 2:
            continue
        seen.add(word)
        motifs = _motifs_for(word)
        colour = not motifs and word in CSS_COLOURS
        quality = not motifs and not colour and _is_quality(word)
        parts.append(IntentPart(word, motifs, colour=colour, quality=quality))
    return parts[:MAX_PARTS]


CONNECT_A_MODEL = (
    "To have it drawn, describe it with words the sketch engine knows (water, sky, street, "
    "figure, trees, circles...), or connect an image model: set BASE_URL and API_KEY for an "
    "OpenAI-compatible gateway and restart tasteloop."
)


def what_it_can_draw(
    intent: str,
) -> tuple[list[IntentPart], list[IntentPart], list[IntentPart]]:
    """The parts it draws, those it has no motif for, and the words it paints as qualities."""
    parts = read_intent(intent)
    return (
        [p for p in parts if p.can_draw],
        [p for p in parts if not p.can_draw and not p.quality],
        [p for p in parts if p.quality],
    )
