"""What the gateway critic is told besides the pictures: the measured evidence (the same
measurements the offline critic uses) and how strictly the person wants the style held."""

from __future__ import annotations

from tasteloop.domain.profile import TasteProfile
from tasteloop.measure.bare_style import bare_variety
from tasteloop.measure.learned_style import style_distance
from tasteloop.measure.picture_check import PictureCheck, check_picture
from tasteloop.measure.schema import ImageMeasurement

EVIDENCE_FEATURES = (
    "lightness",
    "lightness_spread",
    "chroma",
    "colourfulness",
    "warmth",
    "grey_fraction",
    "edge_density",
    "negative_space",
    "mass_x",
    "mass_y",
    "symmetry",
    "grain",
    "hf_energy",
    "flat_fraction",
    "straightness",
)


def measurement_evidence(
    profile: TasteProfile, candidate: ImageMeasurement, check: PictureCheck | None = None
) -> str:
    """Numbers for the references (mean, min-max) beside the same numbers for this image, and
    what the measured picture check found."""
    measured = profile.measurements
    if measured is None:
        return ""
    lines = ["Measured evidence (references mean [min-max] vs this image):"]
    for name in EVIDENCE_FEATURES:
        s = measured.stats[name]
        value = candidate.features[name]
        lines.append(f"- {name}: {s.mean:.3g} [{s.min:.3g}-{s.max:.3g}] vs {value:.3g}")
    if measured.palette:
        lines.append(
            "- reference palette: " + ", ".join(f"{c.hex} {c.weight:.0%}" for c in measured.palette)
        )
    learned = learned_style_evidence(profile, candidate.style)
    if learned:
        lines.append(learned)
    if check is not None and check.said:
        lines.append(
            f"- as a picture, measured: {check.said} (your score is multiplied by "
            f"{check.plausibility:.2f} for it)"
        )
    return "\n".join(lines)


def picture_check_of(profile: TasteProfile, candidate: ImageMeasurement) -> PictureCheck | None:
    """The measured picture check against the references' own, as the offline critic makes it:
    a flat field, noise, a smear or a texture with no layout is not a picture, whatever a model
    says of it."""
    measured = profile.measurements
    if measured is None:
        return None
    kept = measured.model_copy(update={"references": profile.weighted_references})
    references = [r.picture for r in kept.references if r.picture is not None]
    return check_picture(candidate.picture, references, bare_variety(kept))


def learned_style_evidence(profile: TasteProfile, vector: list[float] | None) -> str | None:
    """The candidate's distance from the set's learned style beside the references' own."""
    measured = profile.measurements
    mean = measured.style.mean if measured and measured.style else None
    own = [style_distance(ref.style, mean) for ref in profile.weighted_references]
    gap = style_distance(vector, mean)
    known = [d for d in own if d is not None]
    if gap is None or not known or len(known) != len(own):
        return None
    return (
        "- learned style (a style network's 1 - cosine to the references' weighted style; "
        f"lower is closer): references {min(known):.3f}-{max(known):.3f} vs this image {gap:.3f}"
    )


def style_guidance(profile: TasteProfile) -> str:
    """What the person asked of the style: how strictly to hold to it, which references lead."""
    strength = profile.style.strength
    lines = [
        f"Style strength {strength:.0%}: "
        + (
            "hold the image strictly to the references' style."
            if strength >= 0.9
            else "the person wants only a light touch of the references' style; judge the "
            "style dimensions leniently and weigh the intent more."
            if strength < 0.5
            else "hold the image to the references' style, but not strictly."
        )
    ]
    weights = profile.style.weights
    if weights is not None and len(set(weights)) > 1:
        shown = ", ".join(f"{w:g}" for w in sorted((w for w in weights if w > 0), reverse=True))
        lines.append(
            "The references are shown in order of the person's emphasis (weights "
            f"{shown}): the first counts most."
        )
    return "\n".join(lines)
