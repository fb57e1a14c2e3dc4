"""A describer's claims about a set's traits (a vision model's, or any words), checked against
what was measured: a clause claiming a trait that most references measurably lack is not a
finding, and is left out.

A claim is contradicted when fewer than half of the references show it at half the strength at
which a person is told the set has it (traits.py): words are looser than measurements, so only a
clear absence counts. A clause that negates ("no", "never", "without") is not read as a claim.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tasteloop.measure.avoid_rules import extreme
from tasteloop.measure.schema import ImageMeasurement
from tasteloop.measure.traits import (
    BROKEN_COLOUR,
    CONTOUR_LINES,
    LIGHT_ABOVE,
    MONOCHROME_CHROMA,
    SYMMETRIC,
)

FLAT_AREAS = extreme("flat")  # share of the picture in untextured areas
_NEGATION = re.compile(r"\b(no|not|never|without|avoid\w*|rather than|instead of|nor)\b", re.I)
_CLAUSE = re.compile(r"\s*[,;]\s*")


@dataclass(frozen=True)
class Claim:
    name: str  # what is claimed, as the measured note says it
    words: re.Pattern[str]
    shows: Callable[[ImageMeasurement], bool | None]  # None: not measured for this reference


def _trait(name: str) -> Callable[[ImageMeasurement], float | None]:
    return lambda r: getattr(r.traits, name) if r.traits is not None else None


def _at_least(value: Callable[[ImageMeasurement], float | None], floor: float):
    def shows(r: ImageMeasurement) -> bool | None:
        v = value(r)
        return None if v is None else v >= floor

    return shows


def _feature(name: str) -> Callable[[ImageMeasurement], float | None]:
    return lambda r: r.features.get(name)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "symmetrical arrangements",
        re.compile(r"(?<![a-z])symmetr|mirror-like", re.I),
        _at_least(_feature("symmetry"), SYMMETRIC - (1 - SYMMETRIC)),
    ),
    Claim(
        "light from above",
        re.compile(r"\b(lit|light\w*) from above\b|\btop-lit\b|\blight sk(y|ies) over\b", re.I),
        _at_least(_trait("light_from_above"), LIGHT_ABOVE / 2),
    ),
    Claim(
        "contour lines",
        re.compile(r"\bcontour|\boutlin|\bline ?work\b|\bblack lines\b", re.I),
        _at_least(_trait("line_share"), CONTOUR_LINES / 2),
    ),
    Claim(
        "broken colour",
        re.compile(r"\bstippl|\bpointill|\bbroken colou?r|\bdabs\b|\bdots of colou?r", re.I),
        _at_least(_trait("broken_colour"), BROKEN_COLOUR / 2),
    ),
    Claim(
        "flat colour areas",
        re.compile(r"\bflat (colou?r|areas|fields|planes|shapes)|\buntextured\b", re.I),
        _at_least(_feature("flat_fraction"), FLAT_AREAS / 2),
    ),
    Claim(
        "no colour (monochrome)",
        re.compile(r"\bmonochrom|\bblack[- ]and[- ]white\b|\bgr[ae]yscale\b", re.I),
        lambda r: r.features["chroma"] < 1.5 * MONOCHROME_CHROMA,
    ),
    Claim(
        "vivid colour",
        re.compile(r"\bvivid\b|(?<!de)(?<!un)saturated\b|\bvibrant\b|\bblazing\b", re.I),
        lambda r: r.features["chroma"] >= MONOCHROME_CHROMA,
    ),
)


def contradicted(text: str, references: list[ImageMeasurement]) -> list[Claim]:
    """The claims `text` makes (outside a negation) that most references measurably lack."""
    if _NEGATION.search(text):
        return []
    found = []
    for claim in CLAIMS:
        if not claim.words.search(text):
            continue
        seen = [s for s in (claim.shows(r) for r in references) if s is not None]
        if seen and sum(seen) < len(seen) / 2:
            found.append(claim)
    return found


@dataclass(frozen=True)
class Checked:
    text: str  # the sentence without its contradicted clauses ("" when none is left)
    dropped: tuple[str, ...] = ()  # what was left out: "'symmetrical' (symmetrical arrangements)"


def checked_sentence(text: str, references: list[ImageMeasurement]) -> Checked:
    """`text` with each clause that claims a trait most references lack left out."""
    clauses = [c for c in _CLAUSE.split(text.strip().rstrip(".")) if c]
    kept, dropped = [], []
    for clause in clauses:
        wrong = contradicted(clause, references)
        if wrong:
            dropped.append(f"“{clause}” ({', '.join(c.name for c in wrong)})")
        else:
            kept.append(clause)
    if not dropped:
        return Checked(text)
    if not kept:
        return Checked("", tuple(dropped))
    sentence = ", ".join(kept)
    return Checked(sentence[:1].upper() + sentence[1:] + ".", tuple(dropped))
