"""Text people and models type, made safe to store and show.

Control characters (NUL, escape sequences), and the invisible bidirectional overrides that make
text read differently from what it holds ("Trojan Source"), are removed. Line breaks and tabs
stay where a field may have several lines; elsewhere they become spaces.
"""

from __future__ import annotations

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
