"""A profile's words from its measurements, in a person's words: what the references share.

Each trait is named only when every reference shows it (or, for a quality of the whole set, when
the set agrees on it), so a sentence says something of this set and not of any set; where the
references disagree the sentence says so. No figures go in the words (hex codes, percentages and
mood scales stay in the measurements); the colours are also the profile's swatches. The words
the offline generator acts on (swirling, grid, interlocking planes, hatching, brushstrokes,
flat colour, crisp, ink) are used where they are true, so the generator paints what is said.
"""

from __future__ import annotations

from tasteloop.domain.profile import TasteProfile
from tasteloop.measure.colour_names import joined, names_of
from tasteloop.measure.reference_set import ACCENT_CHROMA, chroma, consistent, salience
from tasteloop.measure.schema import FeatureStats, ImageMeasurement, Measurements
from tasteloop.measure.traits import (
    BROKEN_COLOUR,
    CONTOUR_LINES,
    LIGHT_ABOVE,
    MONOCHROME_CHROMA,
    OFF_CENTRE,
    SYMMETRIC,
)

Stats = dict[str, FeatureStats]


# What the whole set shares, each read one way wherever the words name it (the composition and
# texture sentences, the principles, the avoid-list)
def _sparse(stats: Stats) -> bool:
    return stats["negative_space"].min > 0.25


def _dense(stats: Stats) -> bool:
    return stats["edge_density"].min > 0.45


def _straight(stats: Stats) -> bool:
    return stats["straightness"].min > 0.33


def _curved(stats: Stats) -> bool:
    return stats["straightness"].max < 0.3


def _grid(stats: Stats) -> bool:
    """Edges keep to a few axes in every reference."""
    return stats["orientation_entropy"].max < 0.97


def _planes(stats: Stats) -> bool:
    """Every reference nearly free of quiet area while some have flat passages."""
    return stats["negative_space"].max < 0.15 and stats["flat_fraction"].max >= 0.15


def _brushed(stats: Stats) -> bool:
    return stats["flat_fraction"].max < 0.15


def _flat_areas(stats: Stats) -> bool:
    return stats["flat_fraction"].min > 0.4


def _all(refs: list[ImageMeasurement], test) -> bool:
    return bool(refs) and all(test(r) for r in refs)


def _traits(refs: list[ImageMeasurement]):
    return [r.traits for r in refs if r.traits is not None]


def _key(stats: Stats) -> str:
    if not consistent(stats, "lightness"):
        return "lighter in some pictures, deeper-toned in others"
    mean = stats["lightness"].mean
    key = (
        "in a high, light key"
        if mean > 62
        else "in a low, dark key"
        if mean < 42
        else "in a middle key"
    )
    spread = stats["lightness_spread"].mean
    contrast = (
        "strong contrast"
        if spread > 28
        else "soft contrast"
        if spread < 16
        else "moderate contrast"
    )
    return f"{key} with {contrast}"


def accents_and_grounds(measured: Measurements, most: int = 4) -> tuple[list[str], list[str]]:
    """The swatches' names as a person sorts them: the colours that stand out (most salient
    first) and the greys, browns and paper they stand against (heaviest first)."""
    swatches = measured.palette
    accents = [
        c for c in sorted(swatches, key=salience, reverse=True) if chroma(c) >= ACCENT_CHROMA
    ]
    grounds = [c for c in swatches if chroma(c) < ACCENT_CHROMA]
    accent_names = names_of([c.lab for c in accents], most=most, chromatic=True)
    ground_names = [
        n for n in names_of([c.lab for c in grounds], most=most) if n not in accent_names
    ]
    return accent_names, ground_names[: max(1, most - len(accent_names))]


def colours_in_words(measured: Measurements, most: int = 4) -> str:
    """ "vermilion, ochre and cobalt blue against charcoal": accents first, then their ground."""
    accents, grounds = accents_and_grounds(measured, most)
    if accents and grounds:
        return f"{joined(accents)} against {joined(grounds)}"
    return joined(accents or grounds)


def _touch(measured: Measurements) -> str:
    """ ", with a touch of vermilion": the strong colours a set without colour still shows (a
    seal, a stamp, one coloured accent)."""
    accents, _ = accents_and_grounds(measured, most=2)
    return f", with a touch of {joined(accents)}" if accents else ""


def palette_sentence(measured: Measurements) -> str:
    stats = measured.stats
    names = colours_in_words(measured)
    if stats["chroma"].max < MONOCHROME_CHROMA:
        accents, grounds = accents_and_grounds(measured)
        if accents:
            return f"Ink on paper: {joined(grounds)}{_touch(measured)}, {_key(stats)}."
        return f"Ink on paper: {names}, {_key(stats)}, with no colour to speak of."
    chroma = stats["chroma"].mean
    character = "Vivid" if chroma > 25 else "Moderately saturated" if chroma > 14 else "Muted"
    leaning = {"warm": ", leaning warm", "cool": ", leaning cool", "": ""}[
        _leaning(measured.references)
    ]
    varies = (
        "" if consistent(stats, "chroma", 5.0) else "; how saturated varies from picture to picture"
    )
    return f"{character} colour: {names}, {_key(stats)}{leaning}{varies}."


def _placement(refs: list[ImageMeasurement]) -> str | None:
    if _all(refs, lambda r: r.features["symmetry"] >= SYMMETRIC):
        return "symmetrical, centred arrangements"
    if _all(refs, lambda r: r.features["mass_x"] < 0.5 - OFF_CENTRE):
        return "the weight of each picture off-centre to the left"
    if _all(refs, lambda r: r.features["mass_x"] > 0.5 + OFF_CENTRE):
        return "the weight of each picture off-centre to the right"
    if _all(refs, lambda r: abs(r.features["mass_x"] - 0.5) > OFF_CENTRE):
        return "asymmetric arrangements, the weight off to one side"
    return None


def composition_sentence(measured: Measurements) -> str:
    stats, refs = measured.stats, measured.references
    parts: list[str] = []
    placement = _placement(refs)
    if placement:
        parts.append(placement)
    traits = _traits(refs)
    if len(traits) == len(refs) and _all(traits, lambda t: t.light_from_above >= LIGHT_ABOVE):
        parts.append("a light sky over a darker ground, lit from above")
    elif len(traits) == len(refs) and _all(traits, lambda t: t.light_from_above <= -LIGHT_ABOVE):
        parts.append("deep-toned above and pale below")
    if consistent(stats, "edge_density"):
        if _sparse(stats):
            parts.append("sparse, with generous empty space around the subject")
        elif _dense(stats):
            parts.append("dense, filled edge to edge")
    if _straight(stats):
        parts.append("built on straight lines and right angles")
    elif _curved(stats):
        parts.append("curved, swirling rhythms rather than straight lines")
    if _grid(stats):
        parts.append("organised as a grid of rectangles and bars")
    elif _planes(stats):
        parts.append("fragmented into interlocking planes")
    if not parts:
        return _arrangements_differ(refs)
    sentence = "; ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "."


def _arrangement(ref: ImageMeasurement) -> str:
    """How one picture is composed, in words the generator does not act on (no motif, placement
    or density words): each holds for some of the pictures only."""
    features, traits = ref.features, ref.traits
    if traits is not None and traits.light_from_above >= LIGHT_ABOVE:
        return "the light falling from above"
    if features["symmetry"] >= SYMMETRIC:
        return "a balanced arrangement, alike on both sides"
    if features["negative_space"] > 0.25:
        return "much open space"
    if abs(features["mass_x"] - 0.5) > OFF_CENTRE:
        return "the weight to one side"
    if features["edge_density"] > 0.45:
        return "forms reaching every corner"
    return "one main mass near the middle"


def _arrangements_differ(refs: list[ImageMeasurement]) -> str:
    """Where the set shares no arrangement, the two it holds most."""
    return _differs("Composed differently", [_arrangement(r) for r in refs])


def _differs(lead: str, words: list[str]) -> str:
    """ "Lead from picture to picture: the commonest in some, the next in others", or the one
    way every picture shares."""
    common = sorted(dict.fromkeys(words), key=lambda w: -words.count(w))
    if len(common) == 1:
        return f"{common[0][:1].upper()}{common[0][1:]} in every picture."
    return f"{lead} from picture to picture: {common[0]} in some, {common[1]} in others."


# how the set feels, by its energy (colour, contrast, activity) and its light
MOODS = {
    ("high", "dark"): "Turbulent and brooding",
    ("high", "middle"): "Restless and intense",
    ("high", "light"): "Exuberant and bright",
    ("middle", "dark"): "Sombre and weighty",
    ("middle", "middle"): "Steady and grounded",
    ("middle", "light"): "Open and even-tempered",
    ("low", "dark"): "Hushed and nocturnal",
    ("low", "middle"): "Still and contemplative",
    ("low", "light"): "Calm and airy",
}


def _energy_of(features: dict[str, float]) -> str:
    """Colour, contrast and activity raise a picture's energy; straight lines and right angles
    read as order and lower it."""
    score = (
        (features["chroma"] - 18) / 12
        + (features["edge_density"] - 0.4) / 0.15
        + (features["lightness_spread"] - 20) / 8
        - max(features["straightness"] - 0.33, 0.0) / 0.05
    )
    return "high" if score > 1.0 else "low" if score < -1.0 else "middle"


def _energy(stats: Stats) -> str:
    return _energy_of({name: value.mean for name, value in stats.items()})


def _light(stats: Stats) -> str:
    mean = stats["lightness"].mean
    return "dark" if mean < 42 else "light" if mean > 62 else "middle"


ENERGY_WORDS = {"low": "settled", "middle": "steady", "high": "restless"}
LEVELS = ("low", "middle", "high")


def _energies(refs: list[ImageMeasurement]) -> set[str]:
    return {_energy_of(r.features) for r in refs}


def _leaning(refs: list[ImageMeasurement]) -> str:
    """Warm or cool only when all but at most one reference leans that way."""
    if not refs:
        return ""
    allowed = 1 if len(refs) > 3 else 0
    if sum(r.features["warmth"] <= 0.2 for r in refs) <= allowed:
        return "warm"
    if sum(r.features["warmth"] >= -0.2 for r in refs) <= allowed:
        return "cool"
    return ""


def emotion_sentence(measured: Measurements) -> str:
    stats, refs = measured.stats, measured.references
    mood = MOODS[(_energy(stats), _light(stats))]
    leaning = _leaning(refs)
    glow = (
        ", with a warm glow"
        if leaning == "warm" and stats["chroma"].max >= MONOCHROME_CHROMA
        else ", in a cool light"
        if leaning == "cool"
        else ""
    )
    levels = sorted(_energies(refs), key=LEVELS.index)
    ranges = (
        f"; the pictures range from {ENERGY_WORDS[levels[0]]} to {ENERGY_WORDS[levels[-1]]}"
        if len(levels) > 1
        else ""
    )
    agree = (
        "" if consistent(stats, "lightness") else "; some pictures lighter in spirit than others"
    )
    return f"{mood}{glow}{ranges}{agree}."


def texture_sentence(measured: Measurements) -> str:
    stats, refs = measured.stats, measured.references
    parts: list[str] = []
    traits = _traits(refs)
    complete = len(traits) == len(refs)
    monochrome = stats["chroma"].max < MONOCHROME_CHROMA
    if monochrome and stats["sharpness"].mean > 0.45:
        parts.append("crisp etched hatching and solid inked blacks")
    elif complete and _all(traits, lambda t: t.line_share >= CONTOUR_LINES):
        parts.append("forms outlined in black contour lines")
    if complete and not monochrome and _all(traits, lambda t: t.broken_colour >= BROKEN_COLOUR):
        parts.append("colour laid in separate touches and dabs (broken colour)")
    if _brushed(stats):
        parts.append("painterly brushstrokes covering every area")
    elif _flat_areas(stats):
        parts.append("flat colour areas with little modelling")
    if stats["grain"].min > 0.02:
        parts.append("a visible grain over everything")
    if stats["sharpness"].mean > 0.45 and not monochrome:
        parts.append("crisp, hard edges")
    elif stats["hf_energy"].mean < 0.08:
        parts.append("soft, blended edges")
    if not parts:
        return _mark_making_differs(refs, monochrome)
    sentence = "; ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "."


def _mark_making(ref: ImageMeasurement, monochrome: bool) -> str:
    """One picture's mark-making in a person's words, by the traits the set sentence reads. The
    words are none the generator acts on (soft, flat colour, crisp, brushstroke…): each holds for
    some of the pictures only, so the painter is not told it of all of them."""
    features, traits = ref.features, ref.traits
    if traits is not None and traits.line_share >= CONTOUR_LINES:
        return "black contour lines"
    if monochrome and features["sharpness"] > 0.45:
        return "fine engraved lines"
    if traits is not None and not monochrome and traits.broken_colour >= BROKEN_COLOUR:
        return "separate touches of colour"
    if features["flat_fraction"] < 0.15:
        return "paint worked all over"
    if features["flat_fraction"] > 0.4:
        return "unbroken areas of one colour"
    if features["hf_energy"] < 0.08:
        return "blended tones"
    return "modelled passages"


def _mark_making_differs(refs: list[ImageMeasurement], monochrome: bool) -> str:
    """Where the set shares no one manner, which manners it holds (the commonest two)."""
    return _differs("Mark-making differs", [_mark_making(r, monochrome) for r in refs])


def _contrast_word(stats: Stats) -> str | None:
    spread = stats["lightness_spread"]
    if spread.min > 28:
        return "strong"
    if spread.max < 16:
        return "soft"
    return None


def principles(measured: Measurements) -> list[str]:
    """3-5 instructions, the set's most particular traits first; the mood always last."""
    stats, refs = measured.stats, measured.references
    traits = _traits(refs)
    complete = len(traits) == len(refs)
    accents, grounds = accents_and_grounds(measured, most=3)
    found: list[str] = []
    if stats["chroma"].max < MONOCHROME_CHROMA:
        found.append(
            f"Value, not colour, carries the picture: black marks on pale paper{_touch(measured)}"
        )
    elif accents and grounds:
        found.append(f"Set {joined(accents)} against {joined(grounds)}; bring in no other hue")
    else:
        found.append(f"Keep to the set's few colours: {joined(accents or grounds)}")
    if complete and _all(traits, lambda t: t.light_from_above >= LIGHT_ABOVE):
        found.append("Put the light above: a bright sky over a darker ground")
    if complete and _all(traits, lambda t: t.line_share >= CONTOUR_LINES):
        found.append("Outline each form in a black line")
    if _brushed(stats):
        found.append("Work every surface in visible strokes; leave no smooth, empty field")
    elif _flat_areas(stats):
        found.append("Let flat areas of colour meet at clean edges")
    if _straight(stats):
        found.append("Build with straight lines and right angles")
    elif _curved(stats):
        found.append("Let curving, rhythmic strokes carry the movement")
    if _grid(stats):
        found.append("Divide the picture into rectangles and bars")
    elif _planes(stats):
        found.append("Break forms into interlocking planes")
    if _sparse(stats):
        found.append("Leave real emptiness around the subject")
    elif _dense(stats):
        found.append("Fill the frame edge to edge")
    placement = _placement(refs)
    if placement:
        found.append(f"Keep {placement}")
    contrast = _contrast_word(stats)
    if contrast:
        found.append(f"Hold the contrast {contrast}")
    if len(found) < 2:
        found.append(
            "Let each picture find its own light and arrangement; the set shares its colour, not its layout"
        )
    mood = f"Keep the mood {MOODS[(_energy(stats), _light(stats))].lower()}"
    return found[:4] + [mood]


def avoid_items(measured: Measurements) -> list[str]:
    """What no reference does: the measured avoid rules first (each holds for every reference by
    its construction), then the opposites of traits every reference shows, then colours from
    outside the set's palette (which the palette dimension judges)."""
    touch = _touch(measured)
    found = [
        f"any colour beyond {touch.removeprefix(', with ')}: keep to ink tones"
        if limit.key == "no_colour" and touch
        else limit.text
        for limit in measured.avoid
    ]
    stats, refs = measured.stats, measured.references
    traits = _traits(refs)
    complete = len(traits) == len(refs)
    if complete and _all(traits, lambda t: t.light_from_above >= LIGHT_ABOVE):
        found.append("a dark sky over a light ground")
    energies = _energies(refs)
    if energies == {"high"}:
        found.append("static, lifeless calm")
    elif energies == {"low"}:
        found.append("frantic, agitated movement")
    contrast = _contrast_word(stats)
    if contrast == "strong":
        found.append("flat, low-contrast greys")
    elif contrast == "soft":
        found.append("harsh black-and-white contrast")
    if _grid(stats):
        found.append("swirling, wandering curves")
    found.append("new hues from outside the set's palette")
    if stats["chroma"].max >= MONOCHROME_CHROMA:
        found.append("colour louder than the set's most saturated picture")
    return list(dict.fromkeys(found))[:5]


def profile_from_measurements(measured: Measurements) -> TasteProfile:
    return TasteProfile(
        principles=principles(measured),
        palette_tendency=palette_sentence(measured),
        compositional_style=composition_sentence(measured),
        emotional_register=emotion_sentence(measured),
        texture_feel=texture_sentence(measured),
        avoid_list=avoid_items(measured),
        palette=[c.hex for c in measured.palette],
        measurements=measured,
    )
