"""Does the painted picture show what the intent asked for? The offline critic knows only what
its own generator drew (there is no model here that recognises a cat in pixels): each part of
the intent is shown when the motif it was drawn as is still visible after painting.

Visible means the painted picture's edges (plain Sobel) follow the motif's footprint in the
unpainted layout better than they follow every one of 24 copies of the layout shifted by 24 or
48 px, by at least MIN_MARGIN, and correlate at least MIN_CORRELATION: a permutation test (by
chance the true layout beats all 24 one time in 25) with a margin. A z-score over the shifts
failed here: a horizon or a row of waves barely changes under a sideways shift, so those shifts
widened the spread and clearly visible harbours read as washed out. (Measured over 160 motifs of
five sets, two subsets each and five intents: 94 % pass in their own layout, the misses mostly
all-over swirls the style texture overpaints; a picture checked against another intent's layout
passes 0.8 % of 640 times.) A word it has no motif for is never shown, and says so.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tasteloop.domain.engine import Sketch
from tasteloop.domain.subject import SubjectPart, SubjectVerdict
from tasteloop.measure.colour import hex_to_lab
from tasteloop.measure.schema import ImageMeasurement
from tasteloop.offline.intent_reading import read_intent
from tasteloop.offline.prompt_words import CSS_COLOURS

MIN_MARGIN, MIN_CORRELATION = 0.04, 0.08
STEPS = (-48, -24, 0, 24, 48)  # px at the sketch's size: the chance layouts are moved this far
SHIFTS = [(dy, dx) for dy in STEPS for dx in STEPS if dy or dx]
MIN_FOOTPRINT = 30  # pixels; a smaller motif cannot be told from chance
COLOUR_SHOWN_DELTA_E = 25.0
JUDGED_BY = "the offline generator's own layout, looked for in the painted picture"


def _grey(data: bytes | Image.Image, size: tuple[int, int] | None = None) -> np.ndarray:
    """Grey 0-1 at `size` (width, height), or at its own size."""
    image = (data if isinstance(data, Image.Image) else Image.open(io.BytesIO(data))).convert("L")
    if size is not None and image.size != size:
        image = image.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.float64) / 255.0


def sobel(a: np.ndarray) -> np.ndarray:
    gx, gy = np.zeros_like(a), np.zeros_like(a)
    gx[1:-1, 1:-1] = (a[:-2, 2:] + 2 * a[1:-1, 2:] + a[2:, 2:]) - (
        a[:-2, :-2] + 2 * a[1:-1, :-2] + a[2:, :-2]
    )
    gy[1:-1, 1:-1] = (a[2:, :-2] + 2 * a[2:, 1:-1] + a[2:, 2:]) - (
        a[:-2, :-2] + 2 * a[:-2, 1:-1] + a[:-2, 2:]
    )
    return np.hypot(gx, gy)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / norm) if norm else 0.0


def motif_visibility(painted: bytes | Image.Image, sketch: Sketch) -> dict[str, tuple[bool, str]]:
    """Each motif drawn: whether it is visible after painting, and the measurement why."""
    layout = sobel(_grey(sketch.layout))
    picture = sobel(_grey(painted, (layout.shape[1], layout.shape[0])))
    found: dict[str, tuple[bool, str]] = {}
    for motif, mask in sketch.footprints.items():
        footprint = np.asarray(Image.open(io.BytesIO(mask))) > 0
        if footprint.sum() < MIN_FOOTPRINT:
            found[motif] = (False, "drawn too small to be seen")
            continue
        r = _correlation(picture[footprint], layout[footprint])
        chance = [
            _correlation(picture[footprint], np.roll(layout, s, axis=(0, 1))[footprint])
            for s in SHIFTS
        ]
        best_chance = max(chance)
        visible = r - best_chance >= MIN_MARGIN and r >= MIN_CORRELATION
        found[motif] = (
            visible,
            f"its edges match the layout at r {r:.2f}, above all {len(SHIFTS)} shifted layouts "
            f"(best {best_chance:.2f})"
            if visible
            else "washed out by the painting: its edges no longer follow the layout",
        )
    return found


def _colour_shown(name: str, image: ImageMeasurement) -> bool:
    r, g, b = CSS_COLOURS[name]
    wanted = hex_to_lab(f"#{r:02x}{g:02x}{b:02x}")
    return any(
        float(np.linalg.norm(np.array(c.lab) - wanted)) < COLOUR_SHOWN_DELTA_E
        for c in image.palette
    )


def judge_subject(
    intent: str, image: ImageMeasurement, painted: bytes | Image.Image, sketch: Sketch | None
) -> SubjectVerdict:
    visibility = motif_visibility(painted, sketch) if sketch is not None else {}
    parts: list[SubjectPart] = []
    for part in read_intent(intent):
        if part.quality:
            continue  # how the whole picture is painted: the taste's dimensions judge it
        if part.colour:
            shown = _colour_shown(part.word, image)
            parts.append(
                SubjectPart(
                    part=part.word,
                    shown=shown,
                    reason="painted in that colour" if shown else "that colour is not in it",
                )
            )
        elif not part.can_draw:
            parts.append(
                SubjectPart(
                    part=part.word,
                    shown=False,
                    can_draw=False,
                    reason="the sketch engine has no motif for it",
                )
            )
        elif sketch is None:
            parts.append(
                SubjectPart(
                    part=part.word,
                    shown=None,
                    reason="not painted by the offline generator, so it cannot tell",
                )
            )
        else:
            seen = [visibility.get(m, (False, "not drawn")) for m in part.motifs]
            shown = bool(seen) and all(v for v, _ in seen)
            reasons = "; ".join(
                f"{m}: {why}" for m, (_, why) in zip(part.motifs, seen, strict=True)
            )
            parts.append(SubjectPart(part=part.word, shown=shown, reason=reasons[:300]))
    return SubjectVerdict(parts=parts, judged_by=JUDGED_BY)
