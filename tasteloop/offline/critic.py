"""A measured critic: score an image against the references' measurements and the profile text.

Scoring (documented in docs/offline-engine.md):
- The image is compared with each reference; the nearest reference (by the weighted total
  below) is the one it is judged against, because a taste set varies inside and an image
  belongs to it when it could stand beside one of its members.
- palette: colour distribution (the a*b* histogram's total-variation distance, the chroma
  histogram's earth mover's distance) and how well the profile's named hex colours are
  present (ΔE to the image's dominant colours).
- compositional_style: gradient-orientation histogram plus density, quiet area and symmetry.
- emotional_register: pleasure/arousal/dominance and contrast.
- texture_feel: local binary patterns at two radii and the gradient-magnitude histogram.
- avoid_list: each avoid item with a measurable rule costs points when the image shows it.
- the learned style (1 - cosine to the set's weighted style vector, corrected for how much more
  or less generic the image's style is than the references': see generic_style.py) is evidence
  for texture and palette, as far as the person's style strength asks.
Overall = 0.15 palette + 0.05 composition + 0.05 emotion + 0.70 texture + 0.05 avoid
(texture and the learned style are what best separate one taste from another on the shared
sets; see BENCHMARKS.md for the leave-one-out figures behind these weights).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tasteloop.domain.engine import CallUsage, Comparison, Critique, NoteRevision
from tasteloop.domain.profile import (
    CRITIQUE_DIMENSIONS,
    DIMENSION_LABELS,
    CritiqueResult,
    TasteProfile,
)
from tasteloop.measure.avoid_rules import rules_for_text
from tasteloop.measure.features import (
    FEATURE_FLOORS,
    Measurement,
    histogram_distance,
    measure,
    ordinal_histogram_distance,
)
from tasteloop.measure.learned_style import distinctive_style_gap, measure_candidate
from tasteloop.measure.reference_set import summarise
from tasteloop.offline import OFFLINE_MODELS
from tasteloop.offline.gate_note import read_note
from tasteloop.offline.prompt_words import _HEX, parse_adjustments, parse_hex, set_adjustments
from tasteloop.offline.renderer import ProceduralRenderer

WEIGHTS = {
    "palette_tendency": 0.15,
    "compositional_style": 0.05,
    "emotional_register": 0.05,
    "texture_feel": 0.70,
    "avoid_list": 0.05,
}
# Distance at which a dimension scores 0; calibrated on the shared reference sets so that a
# held-out reference typically scores 7-9 against its own set (see bench/critic_ranking.py).
SCALES = {
    "palette_tendency": 0.9,
    "compositional_style": 2.5,
    "emotional_register": 12.0,
    "texture_feel": 0.55,
}
COVERAGE_SHARE = 0.15
# Palette distance: hues as a total-variation distance of the a*b* histogram, colourfulness as
# an earth mover's distance of the chroma histogram (ordered bins), scaled to a similar range.
CHROMA_SHARE = 0.7
CHROMA_GAIN = 2.0
# The learned style (1 - cosine to the set's weighted mean vector) as evidence: its share of
# each dimension's distance, and the gap that counts as a full scale (fitted with
# bench/critic_ranking.py).
STYLE_SHARE = {"texture_feel": 0.9, "palette_tendency": 0.15}
STYLE_SCALE = 0.12
# < 1 lifts the middle of the scale: a genuine member of a set should pass 8.0.
CURVE = 0.7
COMPOSITION_FEATURES = ("edge_density", "negative_space", "symmetry")
EMOTION_FEATURES = ("pleasure", "arousal", "dominance", "contrast")

# renderer-controllable qualities: (adjustment, feature, feature units per adjustment step)
# (per-step effects measured by rendering one prompt at successive adjustment steps)
CONTROLS = (
    ("detail", "edge_density", 0.015, "compositional_style"),
    ("grain", "grain", 0.004, "texture_feel"),
    ("softness", "hf_energy", -0.005, "texture_feel"),
    ("brushwork", "flat_fraction", -0.05, "texture_feel"),
    ("lightness", "lightness", 4.0, "palette_tendency"),
    ("contrast", "lightness_spread", 2.5, "emotional_register"),
    ("saturation", "chroma", 3.0, "palette_tendency"),
    ("straightness", "straightness", 0.01, "compositional_style"),
)
# how big one step is relative to a noticeable difference, to compare gaps across features
CONTROL_SCALE = {name: abs(step) / FEATURE_FLOORS[feature] for name, feature, step, _ in CONTROLS}
# which adjustment moves the feature an avoid rule watches, and by how much per step
AVOID_CONTROLS = {
    **{feature: (name, step) for name, feature, step, _ in CONTROLS},
    "negative_space": ("detail", -0.03),
    "chroma_p90": ("saturation", 5.0),
}
GAIN = 0.6
MAX_STEP = 3
MAX_ADJUSTMENT = 8
ADVICE = {
    "detail": ("more detail and denser marks", "more negative space and fewer marks"),
    "grain": ("finer film grain", "a cleaner surface with less grain"),
    "softness": ("softer, more blended edges", "crisper edges"),
    "brushwork": ("more visible brushwork", "flatter colour areas"),
    "lightness": ("lighter values", "darker values"),
    "contrast": ("stronger contrast", "gentler contrast"),
    "saturation": ("more saturated colour", "more muted colour"),
    "straightness": ("more straight lines", "more curved movement"),
}


@dataclass
class Judgement:
    scores: dict[str, float]
    overall: float
    nearest: Measurement
    image: Measurement
    violations: list[Violation]
    style_gap: float | None = None  # 1 - cosine to the set's learned style


def _z_distance(a: Measurement, b: Measurement, names: tuple[str, ...]) -> float:
    return float(
        np.sqrt(
            np.mean([((a.features[n] - b.features[n]) / FEATURE_FLOORS[n]) ** 2 for n in names])
        )
    )


def _named_colour_coverage(image: Measurement, palette_text: str) -> float | None:
    """0-1: how well the hex colours the profile names are present in the image."""
    from tasteloop.measure.features import srgb_to_lab

    named = _HEX.findall(palette_text)
    if not named:
        return None
    image_labs = np.array([c["lab"] for c in image.palette], dtype=float)
    weights, distances = [], []
    for code, pct in named:
        lab = srgb_to_lab(np.array(parse_hex(code), dtype=float) / 255.0)
        distances.append(float(np.min(np.linalg.norm(image_labs - lab, axis=1))))
        weights.append(float(pct) if pct else 10.0)
    mean_delta = float(np.average(distances, weights=weights))
    return max(0.0, 1.0 - mean_delta / 40.0)


def dimension_distances(image: Measurement, ref: Measurement) -> dict[str, float]:
    ih, rh = image.histograms, ref.histograms
    return {
        "palette_tendency": (1 - CHROMA_SHARE) * histogram_distance(ih["ab"], rh["ab"])
        + CHROMA_SHARE
        * min(1.0, CHROMA_GAIN * ordinal_histogram_distance(ih["chroma"], rh["chroma"])),
        "compositional_style": histogram_distance(ih["orientation"], rh["orientation"]) * 2
        + 0.25 * _z_distance(image, ref, COMPOSITION_FEATURES),
        "emotional_register": _z_distance(image, ref, EMOTION_FEATURES),
        "texture_feel": (
            histogram_distance(ih["lbp1"], rh["lbp1"])
            + histogram_distance(ih["lbp2"], rh["lbp2"])
            + histogram_distance(ih["gradient"], rh["gradient"])
        )
        / 3,
    }


@dataclass(frozen=True)
class Violation:
    item: str
    feature: str
    value: float
    limit: float
    target: float  # one noticeable margin back on the safe side of the limit

    def __str__(self) -> str:
        return f"{self.item} ({self.feature} {self.value:.3g} vs limit {self.limit:.3g})"


def _violations(
    image: Measurement, profile: TasteProfile, summary: dict[str, object]
) -> list[Violation]:
    stats = summary.get("stats", {})  # type: ignore[union-attr]
    limits = {str(a["key"]): float(a["limit"]) for a in summary.get("avoid", [])}  # type: ignore[union-attr]
    found: list[Violation] = []
    for item in profile.avoid_list:
        for rule in rules_for_text(item):
            if rule.key in limits:
                limit = limits[rule.key]
            elif rule.feature in stats:
                feature_stats = stats[rule.feature]  # type: ignore[index]
                limit = rule.limit(feature_stats["min"], feature_stats["max"])
            else:
                continue
            value = image.features[rule.feature]
            if rule.violated(value, limit):
                back = -rule.margin if rule.direction == "above" else rule.margin
                found.append(Violation(item, rule.feature, value, limit, limit + back))
                break
    return found


def _avoid_score(violations: list[Violation]) -> float:
    return max(0.0, 10.0 - 3.5 * len(violations))


def measure_for_critique(image_bytes: bytes) -> Measurement:
    return measure_candidate(image_bytes)


def set_style(summary: dict[str, object]) -> list[float] | None:
    found = summary.get("style")
    return found["mean"] if isinstance(found, dict) else None  # type: ignore[return-value]


def reference_styles(profile: TasteProfile) -> list[tuple[list[float] | None, float]]:
    """Each reference's style vector with the weight the person gave it."""
    refs = (profile.measurements or {}).get("references") or []
    weights = profile.style.weights_for(len(refs))
    return [(ref.get("style"), w) for ref, w in zip(refs, weights, strict=False)]


def with_style_evidence(
    distances: dict[str, float], style_gap: float | None, strength: float
) -> dict[str, float]:
    """Blend the learned-style distance into texture and palette, as much as `strength` asks."""
    if style_gap is None or strength <= 0:
        return distances
    blended = dict(distances)
    for dimension, share in STYLE_SHARE.items():
        share *= strength
        as_dimension = style_gap / STYLE_SCALE * SCALES[dimension]
        blended[dimension] = (1 - share) * distances[dimension] + share * as_dimension
    return blended


def _score_from_distance(distance: float, scale: float) -> float:
    return round(10.0 * max(0.0, 1.0 - distance / scale) ** CURVE, 2)


class MeasuredCritic:
    model = OFFLINE_MODELS["critique"]

    def __init__(self, weights: dict[str, float] | None = None) -> None:
        self.weights = dict(weights or WEIGHTS)
        self._fallback_cache: dict[str, dict[str, object]] = {}
        self._weighted_cache: dict[str, dict[str, object]] = {}

    def reference_summary(self, profile: TasteProfile) -> dict[str, object]:
        if profile.measurements and profile.measurements.get("references"):
            return self._weighted_summary(profile.measurements, profile.style.weights)
        # A profile with no measurements (typed by hand, or from the gateway without them):
        # render its own words and judge against that picture of the taste.
        key = profile.model_dump_json(exclude={"measurements"})
        if key not in self._fallback_cache:
            text = " ".join(
                [
                    *profile.principles,
                    profile.palette_tendency,
                    profile.compositional_style,
                    profile.emotional_register,
                    profile.texture_feel,
                ]
            )
            image = ProceduralRenderer(size=512).render(text)
            self._fallback_cache[key] = summarise([measure(image)])
        return self._fallback_cache[key]

    def _weighted_summary(
        self, measurements: dict[str, Any], weights: list[float] | None
    ) -> dict[str, object]:
        """The measurements without the references a person weighted 0 (their statistics and
        avoid limits too); the set's style is already their weighted mean."""
        refs = measurements["references"]
        if not weights or len(weights) != len(refs) or all(w > 0 for w in weights):
            return measurements
        key = json.dumps([weights, measurements.get("style")], sort_keys=True)
        if key not in self._weighted_cache:
            if len(self._weighted_cache) > 64:  # a long-lived worker sees many profiles
                self._weighted_cache.clear()
            kept = [Measurement.from_dict(r) for r, w in zip(refs, weights, strict=True) if w > 0]
            summary = summarise(kept)
            summary["style"] = measurements.get("style")
            self._weighted_cache[key] = summary
        return self._weighted_cache[key]

    def judge(self, image_bytes: bytes, profile: TasteProfile) -> Judgement:
        return self.judge_measured(measure_for_critique(image_bytes), profile)

    def judge_measured(self, image: Measurement, profile: TasteProfile) -> Judgement:
        summary = self.reference_summary(profile)
        refs = [Measurement.from_dict(r) for r in summary["references"]]  # type: ignore[union-attr]
        best: tuple[float, Measurement, dict[str, float]] | None = None
        for ref in refs:
            distances = dimension_distances(image, ref)
            total = sum(self.weights[d] * distances[d] / SCALES[d] for d in distances)
            if best is None or total < best[0]:
                best = (total, ref, distances)
        assert best is not None
        _, nearest, distances = best
        style_gap = distinctive_style_gap(
            image.style, set_style(summary), reference_styles(profile)
        )
        distances = with_style_evidence(distances, style_gap, profile.style.strength)
        scores = {d: _score_from_distance(distances[d], SCALES[d]) for d in distances}
        coverage = _named_colour_coverage(image, profile.palette_tendency)
        if coverage is not None:
            scores["palette_tendency"] = round(
                (1 - COVERAGE_SHARE) * scores["palette_tendency"] + COVERAGE_SHARE * 10 * coverage,
                2,
            )
        violations = _violations(image, profile, summary)
        scores["avoid_list"] = _avoid_score(violations)
        ordered = {d: scores[d] for d in CRITIQUE_DIMENSIONS}
        overall = round(sum(self.weights[d] * ordered[d] for d in CRITIQUE_DIMENSIONS), 2)
        return Judgement(ordered, overall, nearest, image, violations, style_gap)

    def critique(
        self,
        image: bytes,
        profile: TasteProfile,
        prompt: str,
        intent: str,
        *,
        references: tuple[bytes, ...] = (),
    ) -> Critique:
        """`references` are not needed: the profile carries their measurements."""
        started = time.perf_counter()
        judgement = self.judge(image, profile)
        result = CritiqueResult(
            score=judgement.overall,
            breakdown=judgement.scores,
            reasoning=reasoning(judgement, profile, self.weights),
            revised_prompt=revise_prompt(prompt, judgement, profile),
        )
        usage = CallUsage("critique", self.model, time.perf_counter() - started)
        return Critique(result=result, usage=(usage,), evidence=evidence(judgement))

    def compare(
        self,
        candidate: bytes,
        best: bytes,
        profile: TasteProfile,
        intent: str,
        *,
        references: tuple[bytes, ...] = (),
    ) -> Comparison | None:
        """None: measured scores do not depend on which image is shown first."""
        return None

    def apply_note(
        self, prompt: str, note: str, profile: TasteProfile, intent: str
    ) -> NoteRevision:
        return read_note(prompt, note)


@dataclass(frozen=True)
class Gap:
    control: str  # the adjustment that closes it
    steps: float  # how many adjustment steps, signed
    feature: str
    value: float
    target: float
    dimension: str
    against: str  # what the target is: the closest reference or an avoid-list limit

    @property
    def advice(self) -> str:
        return ADVICE[self.control][0 if self.steps > 0 else 1]

    @property
    def size(self) -> float:
        return abs(self.steps * CONTROL_SCALE[self.control])

    def describe(self) -> str:
        return (
            f"{self.feature.replace('_', ' ')} measures {self.value:.3g} against "
            f"{self.target:.3g} {self.against} ({self.advice})"
        )


def gaps_to_close(judgement: Judgement) -> list[Gap]:
    """Every noticeable gap a prompt adjustment can close.

    An avoid-list violation overrides the nearest reference: getting back inside the limit
    comes first."""
    found: list[Gap] = []
    for v in judgement.violations:
        if v.feature in AVOID_CONTROLS:
            control, per_step = AVOID_CONTROLS[v.feature]
            steps = (v.target - v.value) / per_step
            found.append(
                Gap(
                    control,
                    steps,
                    v.feature,
                    v.value,
                    v.target,
                    "avoid_list",
                    "to respect the avoid-list",
                )
            )
    forced = {gap.control for gap in found}
    for control, feature, per_step, dimension in CONTROLS:
        if control in forced:
            continue
        value = judgement.image.features[feature]
        target = judgement.nearest.features[feature]
        if abs(target - value) < FEATURE_FLOORS[feature] * 0.5:
            continue
        steps = (target - value) / per_step
        found.append(
            Gap(control, steps, feature, value, target, dimension, "in the closest reference")
        )
    return found


# what a person calls each dimension in a sentence about their picture
NOUNS = {
    "palette_tendency": "colour",
    "compositional_style": "composition",
    "emotional_register": "mood",
    "texture_feel": "surface",
}
# the learned-style gap a genuine member of a set typically stays under (held-out medians on
# the shared sets are about 0.05); above it the painter is asked for more of the set's style
STYLE_TARGET = 0.05
STYLE_STEP_GAP = 0.03  # one `style` step per this much gap beyond the target
MAX_STYLE = 3


_FIGURES = re.compile(r"\s*\((?:[^()]*\d[^()]*)\)")


def in_their_words(profile: TasteProfile, dimension: str) -> str:
    """The profile's own sentence for a dimension: its first two clauses, without figures."""
    sentence = _FIGURES.sub("", profile.dimension_text(dimension)).strip().rstrip(".")
    words = "; ".join(part.strip() for part in sentence.split(";")[:2] if part.strip())
    if len(words) > 160:
        words = words[:160].rsplit(" ", 1)[0] + "…"
    return words[:1].lower() + words[1:]


def style_beyond_target(judgement: Judgement, strength: float) -> float:
    """How far the image is from the learned style beyond what the person's strength allows
    (0 when within it): at part strength a looser fit is what was asked for."""
    if judgement.style_gap is None or strength <= 0:
        return 0.0
    return max(0.0, judgement.style_gap - STYLE_TARGET / strength)


def costliest(scores: dict[str, float], weights: dict[str, float]) -> str:
    """The biggest gap: the dimension whose shortfall costs the overall score most (a low score
    on a lightly weighted dimension can matter less than a middling one on a heavy dimension)."""
    return max(CRITIQUE_DIMENSIONS, key=lambda d: weights[d] * (10.0 - scores[d]))


def reasoning(
    judgement: Judgement, profile: TasteProfile, weights: dict[str, float] = WEIGHTS
) -> str:
    """One sentence a person can act on, in the profile's words; the numbers go to `evidence`."""
    weakest = costliest(judgement.scores, weights)
    gaps = gaps_to_close(judgement)
    if weakest == "avoid_list" and judgement.violations:
        items = "; ".join(v.item for v in judgement.violations)
        fixes = [g for g in gaps if g.dimension == "avoid_list"]
        remedy = f", so it needs {fixes[0].advice}" if fixes else ""
        return f"The picture does what your avoid-list rules out ({items}){remedy}."
    noun = NOUNS[weakest]
    theirs = in_their_words(profile, weakest)
    if weakest == "texture_feel" and style_beyond_target(judgement, profile.style.strength):
        return (
            f"The {noun} is not yet painted in your references' manner: it needs more of the "
            f"mark-making they share ({theirs})."
        )
    gaps.sort(key=lambda g: (g.dimension != weakest, -g.size))
    if gaps and gaps[0].dimension == weakest:
        return f"The picture needs {gaps[0].advice} to match your references' {noun} ({theirs})."
    if gaps:
        return (
            f"The {noun} is furthest from your references ({theirs}); the clearest change to "
            f"make is {gaps[0].advice}."
        )
    return f"The {noun} is furthest from your references ({theirs}), though it is close."


def evidence(judgement: Judgement) -> str:
    """The measurements behind the sentence, for the iteration's details."""
    lines = [
        ", ".join(f"{DIMENSION_LABELS[d]} {judgement.scores[d]:.1f}" for d in CRITIQUE_DIMENSIONS)
    ]
    if judgement.style_gap is not None:
        lines.append(
            f"learned style: 1 - cosine to your references' weighted style, corrected for "
            f"what paintings in general share = {judgement.style_gap:.3f} "
            f"(a typical member of a set: under {STYLE_TARGET})"
        )
    lines += [str(v) for v in judgement.violations]
    gaps = sorted(gaps_to_close(judgement), key=lambda g: -g.size)
    lines += [gap.describe() for gap in gaps[:4]]
    return "\n".join(lines)


def _style_steps(judgement: Judgement, strength: float, current: float) -> float:
    beyond = style_beyond_target(judgement, strength)
    if not beyond:
        return 0.0
    wanted = min(np.ceil(beyond / STYLE_STEP_GAP), 2)
    return float(np.clip(current + wanted, -MAX_STYLE, MAX_STYLE)) - current


def revise_prompt(prompt: str, judgement: Judgement, profile: TasteProfile) -> str:
    adjustments = parse_adjustments(prompt)
    style = _style_steps(judgement, profile.style.strength, adjustments.get("style", 0))
    if style:
        adjustments["style"] = adjustments.get("style", 0) + style
    for gap in gaps_to_close(judgement):
        change = float(np.clip(round(gap.steps * GAIN), -MAX_STEP, MAX_STEP))
        if change:
            total = adjustments.get(gap.control, 0) + change
            adjustments[gap.control] = float(np.clip(total, -MAX_ADJUSTMENT, MAX_ADJUSTMENT))
    revised = prompt
    named = _HEX.findall(profile.palette_tendency)
    if named and not _HEX.search(prompt):
        revised = f"{prompt.rstrip('. ')}. Palette: {profile.palette_tendency}"
    return set_adjustments(revised, adjustments)
