"""Is it a picture at all? Flat fields, noise, smears, bands and stripes, a blank sheet with a
few marks, a texture with no layout under it, pieces shuffled: measured against what every
picture has, and against the references' own range.

Each statistic (tasteloop.measure.picture) has an allowed range: the references' own, widened
by a tolerance, within what any painting has. Outside it the picture's plausibility falls as a
Gaussian of how far outside; both critics multiply their score by it (the offline one its
measured verdict, the gateway's a model's reading), so a non-picture cannot earn a verdict,
whatever its colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from tasteloop.measure.schema import PictureStats

# Every painting's spectrum falls between these slopes (Graham & Field 2007 report art between
# about -1.5 and -3.5; a hard-edged grid is flatter, so -0.6); beyond them lie noise and smears.
ANY_PICTURE_SLOPE = (-4.5, -0.6)
SLOPE_TOLERANCE, SLOPE_SCALE = 0.5, 0.25
# how evenly a picture's spectrum spreads over directions: any picture's (a landscape's horizon
# included) reaches this, and the references' own lowest, when lower; bands and stripes measure
# about 0.2, a blank sheet with a few marks 0.4. It is what asks whether marks all run one way,
# never how far they turn in the set's manner (the composition's measures read that)
ANY_PICTURE_ORIENTATION_SPREAD = 0.65
SPREAD_TOLERANCE, SPREAD_SCALE = 0.15, 0.08
# a picture with less contrast than this share of its flattest reference's is a flat field
MIN_CONTRAST_SHARE, ANY_PICTURE_CONTRAST = 0.1, 0.02
# where every reference is composed in masses, a picture with under half their structure is a
# texture or noise; where some reference is all-over, nothing is asked
STRUCTURE_SHARE, STRUCTURE_SCALE = 0.5, 0.05
# neighbouring differences of noise are Gaussian (excess kurtosis 0) whatever its spectrum; every
# painting and photograph measured is far above (the shared sets' references: 2.2 and up)
ANY_PICTURE_SPARSENESS, SPARSENESS_SCALE = 1.0, 0.25
# a laid-out picture's regions hold together; a texture's, or a picture cut up and shuffled, do
# not: under this share of the least coherent reference's coherence it has no layout
COHERENCE_SHARE, COHERENCE_SCALE = 0.6, 0.06
# and its structure reaches across it: reaching less far than the references' least, by more
# than 1.25 times their own spread of reach (at least 0.15), it is a texture of marks. The share,
# the 1.25 and the floor are the medians of the choices made leaving each shared set out in turn
# (bench/layout_check.py)
REACH_SPREADS, REACH_SPREAD_FLOOR, REACH_SCALE = 1.25, 0.15, 0.1
# and its parts differ in which way their edges run: under this share of the least varied
# reference's variety its marks run the same ways everywhere, a texture (the scale is a share of
# that reference's variety too). The folds' medians, chosen as the layout check's were
# (bench/layout_check.py)
VARIETY_SHARE, VARIETY_SCALE = 0.5, 0.05
# and it stands apart from the set's own style laid over nothing (bare_style.py): under this many
# times that texture's variety it is one (the scale is a share of that variety too). Chosen as
# the layout check's were
BARE_RATIO, BARE_SCALE = 1.1, 0.05


NOISE_WORDS = "it is noise: grain at every scale, with no forms"
GRAIN_WORDS = "it is noise: grain with no edges or marks, however its colours fall"
SMEARED_WORDS = "it is smeared: blurred past any edge or mark"
ONE_WAY_WORDS = "its marks all run one way (bands, stripes or a few parallel lines)"
NO_FORMS_WORDS = (
    "it has too few large forms: an even texture, where your references are composed in masses"
)
LOOSE_WORDS = (
    "its regions do not hold together: a texture, or scattered pieces, with no layout under it"
)
SHORT_REACH_WORDS = "its structure stops at its own marks: a texture, with no layout under it"
SAME_EVERYWHERE_WORDS = (
    "its marks run the same ways all over: a texture, with no parts of a picture under it"
)


class Shortfall(StrEnum):
    """What a picture lacks, so a revision knows which way to paint (advice.py)."""

    FLAT = "flat"
    NOISE = "noise"
    SMEARED = "smeared"
    ONE_WAY = "one way"
    NO_FORMS = "no forms"
    NO_LAYOUT = "no layout"
    SAME_EVERYWHERE = "same everywhere"


# a picture that passes but leans towards a shortfall is not called one: these words say how far
LEANING_WORDS = {
    Shortfall.FLAT: "it has little light and dark in it",
    Shortfall.NOISE: "it is grainier than your references, a little towards noise",
    Shortfall.SMEARED: "it is softer than your references, a little towards a smear",
    Shortfall.ONE_WAY: "its marks lean towards running one way",
    Shortfall.NO_FORMS: "its large forms are weaker than your references'",
    Shortfall.NO_LAYOUT: "its layout holds together less than your references'",
    Shortfall.SAME_EVERYWHERE: "its marks run much the same ways all over",
}


@dataclass(frozen=True)
class PictureCheck:
    plausibility: float  # 0-1, multiplies the score
    # the costliest shortfall and its words, whenever any check costs something
    shortfall: Shortfall | None = None
    words: str | None = None

    @property
    def passed(self) -> bool:
        return self.plausibility >= 0.5

    @property
    def problem(self) -> str | None:
        """In a person's words, when it is not plausible."""
        return None if self.passed else self.words

    @property
    def said(self) -> str | None:
        """What it falls short in, as strongly as it does: a shortfall when it fails, a leaning
        when it passes and still loses something."""
        if self.shortfall is None:
            return None
        return self.words if not self.passed else LEANING_WORDS[self.shortfall]


def _gaussian(off: float, scale: float) -> float:
    return math.exp(-0.5 * (off / scale) ** 2)


def variety_shortfall(
    image: PictureStats, references: list[PictureStats], share: float = VARIETY_SHARE
) -> float:
    """How far the picture's direction variety falls under `share` of the least varied
    reference's, as a share of that reference's variety (0 when it does not). Asked of a set's
    least, never of one picture's: a profile typed by hand is judged against one picture of its
    own words, whose directions say nothing of a set's."""
    varieties = [r.variety for r in references if r.variety]
    if image.variety is None or len(varieties) < 2:
        return 0.0
    return max(share - image.variety / min(varieties), 0.0)


def bare_shortfall(
    image: PictureStats,
    bare: float | None,
    references: list[PictureStats],
    ratio: float = BARE_RATIO,
) -> float:
    """How far the picture's direction variety falls under `ratio` times the variety of the
    set's style laid over nothing, in units of the latter (0 when it does not, or is unknown).
    Never more than the least varied reference shows is asked: where the person's own pictures
    are as even as a texture in their style, so may the next one be."""
    if image.variety is None or not bare:
        return 0.0
    floor = min([ratio * bare, *(r.variety for r in references if r.variety)])
    return max((floor - image.variety) / bare, 0.0)


def check_picture(
    image: PictureStats | None, references: list[PictureStats], bare: float | None = None
) -> PictureCheck:
    """`bare`: the direction variety of the set's style laid over nothing, when known."""
    if image is None:
        return PictureCheck(1.0)
    lowest_contrast = min((r.contrast for r in references), default=0.2)
    if image.contrast < max(ANY_PICTURE_CONTRAST, MIN_CONTRAST_SHARE * lowest_contrast):
        return PictureCheck(
            0.0, Shortfall.FLAT, "it is a flat field, with almost no light and dark in it"
        )
    checks: list[tuple[float, Shortfall, str]] = []

    def short_by(off: float, scale: float, shortfall: Shortfall, words: str) -> None:
        if off > 0:
            checks.append((_gaussian(off, scale), shortfall, words))

    slopes = [r.slope for r in references] or [-2.0]
    low = max(ANY_PICTURE_SLOPE[0], min(slopes) - SLOPE_TOLERANCE)
    high = min(ANY_PICTURE_SLOPE[1], max(slopes) + SLOPE_TOLERANCE)
    if image.slope > high:
        short_by(image.slope - high, SLOPE_SCALE, Shortfall.NOISE, NOISE_WORDS)
    else:
        short_by(low - image.slope, SLOPE_SCALE, Shortfall.SMEARED, SMEARED_WORDS)
    lowest = min([ANY_PICTURE_ORIENTATION_SPREAD, *(r.orientation_spread for r in references)])
    off = lowest - SPREAD_TOLERANCE - image.orientation_spread
    short_by(off, SPREAD_SCALE, Shortfall.ONE_WAY, ONE_WAY_WORDS)
    if image.sparseness is not None:
        off = ANY_PICTURE_SPARSENESS - image.sparseness
        short_by(off, SPARSENESS_SCALE, Shortfall.NOISE, GRAIN_WORDS)
    least_structure = min((r.structure for r in references), default=0.0)
    off = STRUCTURE_SHARE * least_structure - image.structure
    short_by(off, STRUCTURE_SCALE, Shortfall.NO_FORMS, NO_FORMS_WORDS)
    coherent = [r.coherence for r in references if r.coherence is not None]
    if image.coherence is not None and coherent:
        off = COHERENCE_SHARE * min(coherent) - image.coherence
        short_by(off, COHERENCE_SCALE, Shortfall.NO_LAYOUT, LOOSE_WORDS)
    reaches = [r.reach for r in references if r.reach is not None]
    if image.reach is not None and reaches:
        tolerance = REACH_SPREADS * max(max(reaches) - min(reaches), REACH_SPREAD_FLOOR)
        off = min(reaches) - tolerance - image.reach
        short_by(off, REACH_SCALE, Shortfall.NO_LAYOUT, SHORT_REACH_WORDS)
    off = variety_shortfall(image, references)
    short_by(off, VARIETY_SCALE, Shortfall.SAME_EVERYWHERE, SAME_EVERYWHERE_WORDS)
    off = bare_shortfall(image, bare, references)
    short_by(off, BARE_SCALE, Shortfall.SAME_EVERYWHERE, SAME_EVERYWHERE_WORDS)
    if not checks:
        return PictureCheck(1.0)
    # the most basic shortfall that fails it names it (the checks run from the spectrum to the
    # layout: noise is named noise, though its marks also run the same ways everywhere); when
    # none fails it outright, the costliest
    failing = [check for check in checks if check[0] < 0.5]
    _, shortfall, words = failing[0] if failing else min(checks, key=lambda check: check[0])
    return PictureCheck(round(math.prod(p for p, _, _ in checks), 4), shortfall, words)
