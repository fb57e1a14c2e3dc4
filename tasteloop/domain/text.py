"""Text people and models type, made safe to store and show.

Control characters (NUL, escape sequences), the invisible bidirectional overrides that make
text read differently from what it holds ("Trojan Source"), every other invisible format
character (zero-width spaces and joiners, soft hyphens, the tag block that can spell an
instruction no one sees), variation selectors, and combining marks past MAX_MARKS on one letter
are removed. Line breaks and tabs stay where a field may have several lines; elsewhere they
become spaces.
"""

from __future__ import annotations

import re
import unicodedata

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
_VARIATION_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))
MAX_MARKS = 3  # combining marks on one letter (Vietnamese stacks two); more is a smear


def _visible(text: str) -> str:
    kept: list[str] = []
    marks = 0
    for char in text:
        code = ord(char)
        category = unicodedata.category(char)
        if category == "Cf" or any(code in r for r in _VARIATION_SELECTORS):
            continue
        if category in ("Mn", "Me"):
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        kept.append(char)
    return "".join(kept)


def clean_text(value: str, *, multiline: bool = False) -> str:
    cleaned = _visible(unicodedata.normalize("NFC", value).translate(_REMOVED))
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
