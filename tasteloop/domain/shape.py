"""A picture's shape and size: the aspect ratio a person picks (or "as my references") and the
size class the image models name ("1K", "2K", "4K": the long side)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# the ratios image models share (OpenRouter's list, which Gemini's and xAI's match), width:height
ASPECTS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
AS_REFERENCES = "references"  # a choice on the form, resolved to one of ASPECTS at once
SIZES = ("1K", "2K", "4K")
LONG_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096}


class ShapeError(ValueError):
    """A shape that cannot be used, in a sentence for the person."""


def ratio_of(aspect: str) -> float:
    width, height = aspect.split(":")
    return int(width) / int(height)


def orientation(aspect: str) -> str:
    ratio = ratio_of(aspect)
    return "square" if ratio == 1 else ("landscape" if ratio > 1 else "portrait")


def nearest_aspect(ratio: float) -> str:
    """The offered aspect closest to `ratio` (width / height), measured as a log ratio so 2:1
    and 1:2 are as far from square."""
    return min(ASPECTS, key=lambda a: abs(math.log(ratio_of(a)) - math.log(ratio)))


def references_aspect(sizes: list[tuple[int, int]]) -> str:
    """The references' median ratio, snapped to the nearest offered aspect."""
    ratios = [w / h for w, h in sizes if w > 0 and h > 0]
    return nearest_aspect(statistics.median(ratios)) if ratios else "1:1"


@dataclass(frozen=True)
class PictureShape:
    aspect: str = "1:1"
    size: str = "1K"

    def __post_init__(self) -> None:
        if self.aspect not in ASPECTS:
            raise ShapeError(
                f"'{self.aspect}' is not a shape tasteloop offers; choose one of "
                f"{', '.join(ASPECTS)}."
            )
        if self.size not in SIZES:
            raise ShapeError(
                f"'{self.size}' is not a size tasteloop offers; choose one of {', '.join(SIZES)}."
            )

    @property
    def ratio(self) -> float:
        return ratio_of(self.aspect)

    def pixels(self, long_side: int | None = None) -> tuple[int, int]:
        """(width, height) with the long side `long_side` (the size class's by default), each
        side a multiple of 8."""
        long = long_side or LONG_SIDE[self.size]
        short = max(8, round(long / max(self.ratio, 1 / self.ratio) / 8) * 8)
        return (long, short) if self.ratio >= 1 else (short, long)

    @property
    def label(self) -> str:
        return f"{self.aspect} {orientation(self.aspect)} · {self.size}"

    def to_dict(self) -> dict[str, str]:
        return {"aspect": self.aspect, "size": self.size}


SQUARE = PictureShape()


def parse_shape(
    aspect: str | None, size: str | None, reference_sizes: Sequence[tuple[int, int]] = ()
) -> PictureShape:
    """What a form or the command line asked for; "references" takes the references' median
    ratio. Raises ShapeError with the sentence to show."""
    chosen = (aspect or "1:1").strip().lower()
    if chosen == AS_REFERENCES:
        chosen = references_aspect(list(reference_sizes))
    return PictureShape(chosen, (size or "1K").strip().upper())
