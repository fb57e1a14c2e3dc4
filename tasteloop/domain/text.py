"""Text people and models type, made safe to store and show.

Control characters (NUL, escape sequences), and the invisible bidirectional overrides that make
text read differently from what it holds ("Trojan Source"), are removed. Line breaks and tabs
stay where a field may have several lines; elsewhere they become spaces.
"""

from __future__ import annotations

import re

_BIDI_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_REMOVED = dict.fromkeys(
    [
        *(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)),
        0x7F,
        *range(0x80, 0xA0),
        *_BIDI_CONTROLS,
        0xFEFF,
    ]
)
_TO_SPACE = {0x09: " ", 0x0A: " ", 0x0D: " "}


def clean_text(value: str, *, multiline: bool = False) -> str:
    cleaned = value.translate(_REMOVED)
    if multiline:
        return cleaned.replace("\r\n", "\n").replace("\r", "\n")
    return cleaned.translate(_TO_SPACE)


def has_hidden_characters(value: str) -> bool:
    return clean_text(value) != value


_HEX = re.compile(r"#[0-9a-fA-F]{6}\b(\s*\(\s*\d{1,3}(\.\d+)?\s*%\s*\))?")
_FIGURED_ASIDE = re.compile(r"\s*\([^()]*\d[^()]*\)")
_PERCENT = re.compile(r"\s*\b\d{1,3}(\.\d+)?\s*%")


def without_figures(sentence: str) -> str:
    """A sentence as a person reads it: a hex code becomes the colour's name, percentages and
    asides full of figures ("(pleasure 0.46, arousal +0.03)") go, the punctuation is tidied."""
    from tasteloop.measure.colour import hex_to_lab
    from tasteloop.measure.colour_names import colour_name

    text = _HEX.sub(lambda m: colour_name(hex_to_lab(m.group(0)[:7])), sentence)
    text = _FIGURED_ASIDE.sub("", text)
    text = _PERCENT.sub("", text)
    previous = None
    while previous != text:  # "anchored by , and ." -> "anchored."
        previous = text
        text = re.sub(r"\s+([,.;:])", r"\1", text)
        text = re.sub(r"[,;:]\s*(?=[,.;:]|$)", "", text)
        text = re.sub(r"\b(by|with|of|at|around|about|and|or|in)(?=[,.;:]|$)", "", text)
        text = re.sub(r"\s{2,}", " ", text).strip(" ,;:")
    return text
