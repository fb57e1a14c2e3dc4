"""A profile's words from its measurements: what the references share, one sentence per
dimension, a few principles and an avoid-list."""

from __future__ import annotations

from tasteloop.domain.profile import TasteProfile
from tasteloop.measure.reference_set import consistent
from tasteloop.measure.schema import Colour, FeatureStats, Measurements

Stats = dict[str, FeatureStats]
GENERIC_AVOID = (
    "photographic realism",
    "text or watermarks",
    "glossy 3D rendering",
)


def _lightness_words(stats: Stats) -> str:
    mean = stats["lightness"].mean
    key = "high-key" if mean > 62 else "low-key" if mean < 42 else "mid-key"
    spread = stats["lightness_spread"].mean
    contrast = (
        "high contrast" if spread > 28 else "low contrast" if spread < 16 else "moderate contrast"
    )
    text = f"{key} (mean lightness {mean:.0f}/100) with {contrast}"
    if not consistent(stats, "lightness"):
        text += (
            f"; the set disagrees on lightness ({stats['lightness'].min:.0f} to "
            f"{stats['lightness'].max:.0f}), so value is free"
        )
    return text


def palette_sentence(stats: Stats, palette: list[Colour]) -> str:
    colours = ", ".join(f"{c.hex} ({c.weight * 100:.0f}%)" for c in palette)
    chroma = stats["chroma"].mean
    if stats["chroma"].max < 12:
        character = "near-monochrome ink-and-paper"
    elif chroma > 25:
        character = "vivid, saturated"
    elif chroma > 14:
        character = "moderately saturated"
    else:
        character = "muted, low-chroma"
    warmth = stats["warmth"].mean
    temperature = (
        ""
        if stats["chroma"].max < 12
        else (" warm" if warmth > 0.3 else " cool" if warmth < -0.3 else " warm-cool balanced")
    )
    sentence = (
        f"A {character}{temperature} palette anchored by {colours}; {_lightness_words(stats)}"
    )
    if not consistent(stats, "chroma", 5.0) and stats["chroma"].max >= 12:
        sentence += (
            f"; saturation varies across the set (chroma {stats['chroma'].min:.0f}"
            f" to {stats['chroma'].max:.0f})"
        )
    return sentence + "."


def composition_sentence(stats: Stats) -> str:
    parts: list[str] = []
    mass_x = stats["mass_x"].mean
    if stats["symmetry"].mean > 0.7:
        parts.append("symmetrical, centred arrangement")
    elif mass_x < 0.46:
        parts.append("off-centre left weighting")
    elif mass_x > 0.54:
        parts.append("off-centre right weighting")
    else:
        parts.append("centred visual mass")
    edge = stats["edge_density"].mean
    space = stats["negative_space"].mean
    if space > 0.25:
        parts.append(f"sparse, with generous negative space (about {space * 100:.0f}% quiet area)")
    elif edge > 0.45:
        parts.append(f"dense, edge-to-edge activity (detail in {edge * 100:.0f}% of the frame)")
    else:
        parts.append(f"balanced density (detail in {edge * 100:.0f}% of the frame)")
    straight = stats["straightness"].mean
    if stats["straightness"].min > 0.33:
        parts.append("built on straight lines and right angles (geometric)")
    elif stats["straightness"].max < 0.3:
        parts.append("curved, swirling rhythms rather than straight lines")
    elif straight > 0.3:
        parts.append("a mix of straight structure and curved movement")
    structure = _structure_phrase(stats)
    if structure:
        parts.append(structure)
    if not consistent(stats, "edge_density"):
        parts.append(
            f"the set disagrees on density ({stats['edge_density'].min * 100:.0f}% to "
            f"{stats['edge_density'].max * 100:.0f}% detail)"
        )
    return "; ".join(parts).capitalize() + "."


# Below this, every reference's edges keep to a few directions (mostly horizontal/vertical).
AXIS_ALIGNED_ENTROPY = 0.97


def _structure_phrase(stats: Stats) -> str:
    """The shared building block, named in the offline generator's motif words (grid, planes)."""
    entropy = stats["orientation_entropy"].max
    if entropy < AXIS_ALIGNED_ENTROPY:
        return (
            f"organised as a grid of rectangles and bars (edge directions keep to a few "
            f"axes: orientation entropy at most {entropy:.2f})"
        )
    if stats["negative_space"].max < 0.15 and stats["flat_fraction"].max >= 0.15:
        return (
            "the frame is fragmented into interlocking planes that fill it edge to edge "
            f"(at most {stats['negative_space'].max * 100:.0f}% quiet area)"
        )
    return ""


def emotion_sentence(stats: Stats) -> str:
    pleasure = stats["pleasure"].mean
    arousal = stats["arousal"].mean
    dominance = stats["dominance"].mean
    energy = (
        "energetic, dynamic" if arousal > 0.05 else "calm, quiet" if arousal < -0.1 else "poised"
    )
    tone = "bright, open" if pleasure > 0.5 else "dark, moody" if pleasure < 0.38 else "grounded"
    weight = (
        "imposing" if dominance > -0.25 else "light-footed" if dominance < -0.45 else "measured"
    )
    article = "An" if energy[0] in "aeiou" else "A"
    return (
        f"{article} {energy} register that feels {tone} and {weight} (pleasure {pleasure:.2f}, "
        f"arousal {arousal:+.2f}, dominance {dominance:+.2f} on the Valdez-Mehrabian scales)."
    )


def texture_sentence(stats: Stats) -> str:
    parts: list[str] = []
    grain = stats["grain"].mean
    if stats["grain"].min > 0.02:
        parts.append(f"visible film grain (noise {grain:.3f})")
    elif stats["grain"].max < 0.012:
        parts.append("clean surfaces with no grain")
    else:
        parts.append("fine grain")
    flat = stats["flat_fraction"].mean
    if stats["chroma"].max < 12 and stats["sharpness"].mean > 0.45:
        parts.append("crisp etched hatching and solid inked blacks")
    elif stats["flat_fraction"].max < 0.15:
        parts.append("painterly brushstrokes covering every area (almost no flat colour)")
    elif flat > 0.4:
        parts.append(f"flat colour areas ({flat * 100:.0f}% untextured)")
    else:
        parts.append("a mix of brushwork and flat passages")
    if stats["sharpness"].mean > 0.45:
        parts.append("crisp, hard edges")
    elif stats["hf_energy"].mean < 0.08:
        parts.append("soft, blended edges")
    return "; ".join(parts).capitalize() + "."


def principles(stats: Stats, palette: list[Colour]) -> list[str]:
    found: list[str] = []
    anchor = ", ".join(c.hex for c in palette[:3])
    if stats["chroma"].max < 12:
        found.append("Value, not colour, carries the picture: dark line on light paper")
    else:
        found.append(f"Let a few anchor colours ({anchor}) dominate rather than a full spectrum")
    if stats["flat_fraction"].max < 0.15:
        found.append("Every surface is worked: visible marks, never an empty smooth field")
    elif stats["negative_space"].mean > 0.25:
        found.append("Leave real emptiness around the subject")
    if stats["straightness"].min > 0.33:
        found.append("Structure comes from straight lines and right angles")
    elif stats["straightness"].max < 0.3:
        found.append("Movement comes from curving, rhythmic strokes")
    if stats["edge_density"].min > 0.4:
        found.append("Fill the frame edge to edge with overlapping marks")
    arousal = stats["arousal"].mean
    mood = (
        "energetic and restless"
        if arousal > 0.05
        else "calm and still"
        if arousal < -0.1
        else "poised"
    )
    found.append(f"Keep the mood {mood}, whatever the subject")
    found.append("Describe the subject through the style, never photographically")
    return found[:3] + found[-2:] if len(found) > 5 else found


def profile_from_measurements(measured: Measurements) -> TasteProfile:
    stats, palette = measured.stats, measured.palette
    avoid = [limit.text for limit in measured.avoid]
    for generic in GENERIC_AVOID:
        if len(avoid) >= 3:
            break
        avoid.append(generic)
    return TasteProfile(
        principles=principles(stats, palette),
        palette_tendency=palette_sentence(stats, palette),
        compositional_style=composition_sentence(stats),
        emotional_register=emotion_sentence(stats),
        texture_feel=texture_sentence(stats),
        avoid_list=avoid,
        measurements=measured,
    )
