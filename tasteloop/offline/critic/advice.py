"""What the offline critic says and asks for: the biggest gap in one sentence in the profile's
words, the measurements behind it, and the adjustments that close the gaps it can close."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from tasteloop.domain.profile import CRITIQUE_DIMENSIONS, DIMENSION_LABELS, TasteProfile
from tasteloop.domain.run_settings import DEFAULT_GATE_LOW
from tasteloop.domain.subject import SubjectVerdict
from tasteloop.measure.colour import HEX_COLOUR
from tasteloop.measure.features import FEATURE_FLOORS
from tasteloop.measure.picture_check import Shortfall
from tasteloop.offline.critic.scoring import (
    PASS_RATIO,
    PASS_SCORE,
    WEIGHTS,
    Judgement,
    network_pass_ratio,
    ratio_at,
    shortfall_cost,
)
from tasteloop.offline.layout_spec import (
    adjustment_ranges,
    locked_qualities,
    parse_adjustments,
    set_adjustments,
)
from tasteloop.offline.qualities import BY_NAME, MEASURED

# how big one step is relative to a noticeable difference, to compare gaps across features
STEP_SIZE = {q.name: abs(q.per_step) / FEATURE_FLOORS[q.feature or ""] for q in MEASURED}
# which quality moves the feature an avoid rule watches, and by how much per step
AVOID_CONTROLS = {
    **{q.feature: (q.name, q.per_step) for q in MEASURED},
    "negative_space": ("detail", -0.03),
    "chroma_p90": ("saturation", 5.0),
}
GAIN = 0.6
MAX_STEP = 3
MAX_ADJUSTMENT = 8
LABELS = {**DIMENSION_LABELS, "learned_style": "learned style"}
# what a person calls each dimension in a sentence about their picture
NOUNS = {
    "palette_tendency": "colour",
    "compositional_style": "composition",
    "emotional_register": "mood",
    "texture_feel": "surface",
}
# a member of a set stays within its own spread of the set's style; beyond the ratio at which the
# style network's verdict passes the generator is asked for more of the style (one `style` step
# per half a spread beyond)
STYLE_STEP_GAP = 0.5
MAX_STYLE = 3
_FIGURES = re.compile(r"\s*\((?:[^()]*\d[^()]*)\)")


@dataclass(frozen=True)
class Gap:
    control: str  # the quality whose adjustment closes it
    steps: float  # how many adjustment steps, signed
    feature: str
    value: float
    target: float
    dimension: str
    against: str  # what the target is: the closest reference or an avoid-list limit

    @property
    def advice(self) -> str:
        quality = BY_NAME[self.control]
        return quality.more if self.steps > 0 else quality.less

    @property
    def size(self) -> float:
        return abs(self.steps * STEP_SIZE[self.control])

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
    for quality in MEASURED:
        feature = quality.feature or ""
        if quality.name in forced:
            continue
        value = judgement.image.features[feature]
        target = judgement.nearest.features[feature]
        if abs(target - value) < FEATURE_FLOORS[feature] * 0.5:
            continue
        steps = (target - value) / quality.per_step
        found.append(
            Gap(
                quality.name,
                steps,
                feature,
                value,
                target,
                quality.dimension or "",
                "in the closest reference",
            )
        )
    return found


def in_their_words(profile: TasteProfile, dimension: str) -> str:
    """The profile's own sentence for a dimension: its first two clauses, without figures."""
    sentence = _FIGURES.sub("", profile.dimension_text(dimension)).strip().rstrip(".")
    words = "; ".join(part.strip() for part in sentence.split(";")[:2] if part.strip())
    if len(words) > 160:
        words = words[:160].rsplit(" ", 1)[0] + "…"
    return words[:1].lower() + words[1:]


def style_beyond_target(judgement: Judgement, strength: float) -> float:
    """How far the image is from the learned style beyond what the person's strength allows
    (0 when within it): at part strength a looser fit is what was asked for, as loose as the
    style network's verdict, relaxed by the same strength, still passes."""
    ratio = (judgement.ratios or {}).get("learned_style")
    if ratio is None:
        return 0.0
    return max(0.0, ratio - network_pass_ratio(strength))


def costliest(scores: dict[str, float], weights: dict[str, float]) -> str:
    """The biggest gap: the dimension whose shortfall costs the overall score most (a low score
    on a lightly weighted dimension can matter less than a middling one on a heavy dimension)."""
    return max(CRITIQUE_DIMENSIONS, key=lambda d: shortfall_cost(scores, weights, d))


def limit_of(control: str) -> float:
    """How many steps the critic moves a quality in all."""
    return MAX_STYLE if control == "style" else MAX_ADJUSTMENT


@dataclass(frozen=True)
class Room:
    """How a picture was painted and how far each quality can still go: the prompt's
    adjustments, within the critic's limit and the quality's own range from where the prompt's
    words set it (a step past either changes nothing in the picture)."""

    now: dict[str, float] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def of(cls, prompt: str) -> Room:
        return cls(parse_adjustments(prompt), adjustment_ranges(prompt))

    def bounds(self, control: str) -> tuple[float, float]:
        limit = limit_of(control)
        low, high = self.ranges.get(control, (-limit, limit))
        return max(-limit, low), min(limit, high)

    def can_move(self, control: str, step: float) -> bool:
        """Whether a step this way still changes the picture."""
        low, high = self.bounds(control)
        now = self.now.get(control, 0.0)
        return now < high - 1e-6 if step > 0 else now > low + 1e-6

    def moved(self, control: str, total: float) -> float:
        """`total` steps, held where the quality stops moving."""
        low, high = self.bounds(control)
        return float(np.clip(total, min(low, 0.0), max(high, 0.0)))


NO_ROOM_KNOWN = Room()


@dataclass(frozen=True)
class Remedy:
    """Which way to paint to mend a shortfall: steps of qualities, each with its words, and the
    changes that would deepen it (+1 up, -1 down: a gap asking for one waits).

    A quality in `back_words` mends from either end: painted past the middle on the far side
    of its step, it is stepped back towards the middle instead (no further than the middle),
    said in those words, and going further out is what deepens it."""

    steps: dict[str, float]
    words: dict[str, str]
    deepens: dict[str, float] = field(default_factory=dict)
    back_words: dict[str, str] = field(default_factory=dict)

    def _back(self, control: str, room: Room) -> bool:
        now = room.now.get(control, 0.0)
        return control in self.back_words and now * self.steps[control] > 0

    def oriented(self, room: Room = NO_ROOM_KNOWN) -> dict[str, float]:
        """The steps, turned back towards the middle where the picture was painted past it."""
        steps = dict(self.steps)
        for control, step in self.steps.items():
            if self._back(control, room):
                steps[control] = -min(abs(step), abs(room.now[control])) * np.sign(step)
        return steps

    def deepening(self, room: Room = NO_ROOM_KNOWN) -> dict[str, float]:
        deepens = dict(self.deepens)
        for control in deepens:
            if control in self.steps and self._back(control, room):
                deepens[control] = -deepens[control]
        return deepens

    def open_steps(self, locked: set[str], room: Room = NO_ROOM_KNOWN) -> dict[str, float]:
        """The steps the person has not set (a quality they set is never moved back) and the
        generator can still take (`room`: how the picture was painted)."""
        return {
            c: s for c, s in self.oriented(room).items() if c not in locked and room.can_move(c, s)
        }

    def say(self, locked: set[str], room: Room = NO_ROOM_KNOWN) -> str | None:
        said = [
            self.back_words[c] if self._back(c, room) else self.words[c]
            for c in self.open_steps(locked, room)
        ]
        return " and ".join(said) if said else None


LESS_STYLE = "less of the style laid over them"
# a motif of the intent washed out by the painting: fewer marks or more blur wash it out further
WASHED = Remedy(
    {"contrast": 1.0, "style": -1.0},
    {"contrast": "more contrast", "style": LESS_STYLE},
    {"detail": -1.0, "softness": 1.0},
)
# the picture falls short as a picture (picture_check.py)
# an even texture, with too few large forms or no layout under it: the layout is brought out
LAYOUT_REMEDY = Remedy(
    {"contrast": 1.0, "style": -1.0},
    {"contrast": "stronger contrast between large areas", "style": LESS_STYLE},
    {"detail": 1.0, "softness": -1.0, "grain": 1.0},
)
PICTURE_REMEDIES: dict[Shortfall, Remedy] = {
    Shortfall.NO_FORMS: LAYOUT_REMEDY,
    Shortfall.NO_LAYOUT: LAYOUT_REMEDY,
    Shortfall.NOISE: Remedy(
        {"softness": 1.0, "grain": -1.0},
        {"softness": "softer, cleaner areas between the marks", "grain": "less grain"},
        {"grain": 1.0, "softness": -1.0},
    ),
    Shortfall.SMEARED: Remedy(
        {"softness": -1.0, "detail": 1.0},
        {"softness": "crisper edges", "detail": "more marks"},
        {"softness": 1.0, "detail": -1.0},
    ),
    Shortfall.FLAT: Remedy({"contrast": 2.0}, {"contrast": "much stronger contrast"}),
    Shortfall.ONE_WAY: Remedy({"straightness": -1.0}, {"straightness": "marks that turn"}),
    # swirls turn every way in every part; straight lines give each part its own directions.
    # The painter lays its motifs out as drawn at the middle of straightness: far out on either
    # side its marks run the same ways all over (curves everywhere, or one hatching everywhere),
    # so a picture painted straighter than the middle is stepped back towards it
    Shortfall.SAME_EVERYWHERE: Remedy(
        {"straightness": 2.0, "style": -1.0},
        {
            "straightness": "straighter lines that give each part its own direction",
            "style": "less of the style laid over them",
        },
        {"straightness": -1.0, "style": 1.0},
        {"straightness": "fewer of the same straight lines everywhere"},
    ),
}


def washed_parts(subject: SubjectVerdict | None) -> list[str]:
    """The parts of the intent the painter drew and the painting washed out."""
    if subject is None:
        return []
    return [p.part for p in subject.parts if p.shown is False and p.can_draw]


def subject_sentence(
    subject: SubjectVerdict | None, locked: set[str], room: Room = NO_ROOM_KNOWN
) -> str | None:
    """What of the intent is missing, first: before any detail of the taste."""
    washed = washed_parts(subject)
    if not washed:
        return None
    said = f"The picture does not show {', '.join(washed)} yet: the painting washed the "
    said += "motif" if len(washed) == 1 else "motifs"
    remedy = WASHED.say(locked, room)
    return f"{said} out, so the next one paints with {remedy}." if remedy else f"{said} out."


def cannot_draw_sentence(subject: SubjectVerdict | None) -> str | None:
    """The parts of the intent the painter has no motif for: the biggest gap there is, since no
    revision brings them in, so named before anything of the taste."""
    parts = subject.undrawable_parts if subject is not None else []
    if not parts:
        return None
    them = "it" if len(parts) == 1 else "them"
    return (
        f"The picture cannot show {', '.join(parts)}: the sketch engine has no motif for {them} "
        "(rephrase the intent, or connect an image model)."
    )


def picture_remedy(
    judgement: Judgement,
    weights: dict[str, float],
    locked: set[str],
    room: Room = NO_ROOM_KNOWN,
) -> Remedy | None:
    """The picture's shortfall as a picture and its remedy, when it is not a picture at all or
    costs the score more than any dimension's gap, and something of the remedy is still open
    (not set by the person, not yet as far as the generator goes)."""
    picture = judgement.picture
    if picture is None or picture.shortfall not in PICTURE_REMEDIES:
        return None
    remedy = PICTURE_REMEDIES[picture.shortfall]
    if not remedy.open_steps(locked, room):
        return None
    lost = judgement.independent * (1.0 - picture.plausibility)
    weakest = costliest(judgement.scores, weights)
    if picture.passed and lost <= shortfall_cost(judgement.scores, weights, weakest):
        return None
    return remedy


def reasoning(
    judgement: Judgement,
    profile: TasteProfile,
    weights: dict[str, float] = WEIGHTS,
    subject: SubjectVerdict | None = None,
    locked: set[str] | None = None,
    room: Room = NO_ROOM_KNOWN,
) -> str:
    """One sentence a person can act on, in the profile's words; the numbers go to `evidence`.
    A part of the intent the painter cannot draw is named first, in a sentence of its own (as
    the gateway critic names a missing part), then a washed-out one; nothing the person set is
    asked to be undone, and nothing the generator has already taken as far as it goes (`room`:
    how the picture was painted) is asked for again."""
    locked = locked or set()
    said = _the_gap(judgement, profile, weights, subject, locked, room)
    cannot = cannot_draw_sentence(subject)
    return f"{cannot} {said}" if cannot else said


def _the_gap(
    judgement: Judgement,
    profile: TasteProfile,
    weights: dict[str, float],
    subject: SubjectVerdict | None,
    locked: set[str],
    room: Room,
) -> str:
    missing = subject_sentence(subject, locked, room)
    if missing:
        return missing
    mending = picture_remedy(judgement, weights, locked, room)
    if mending and judgement.picture is not None:
        remedy = mending.say(locked, room)
        return f"As a picture, {judgement.picture.said}; the next one paints {remedy}."
    weakest = costliest(judgement.scores, weights)
    open_gaps = [g for g in gaps_to_close(judgement) if g.control not in locked]
    gaps = [g for g in open_gaps if room.can_move(g.control, g.steps)]
    if weakest == "avoid_list" and judgement.violations:
        items = "; ".join(v.item for v in judgement.violations)
        fixes = [g for g in gaps if g.dimension == "avoid_list"]
        remedy = f", so it needs {fixes[0].advice}" if fixes else ""
        return f"The picture does what your avoid-list rules out ({items}){remedy}."
    noun = NOUNS[weakest]
    theirs = in_their_words(profile, weakest)
    # the style network's verdict is the score when it is the lower: then its gap is the biggest
    network_binds = (
        judgement.by_network is not None and judgement.by_network < judgement.independent
    )
    if (weakest == "texture_feel" or network_binds) and style_beyond_target(
        judgement, profile.style.strength
    ):
        return (
            "The surface is not yet painted in your references' manner: it needs more of the "
            f"mark-making they share ({in_their_words(profile, 'texture_feel')})."
        )
    if judgement.every_dimension_passes:
        return (
            "Every dimension is as near your references as they are to one another, so nothing "
            f"in the taste needs changing (the {noun} is the furthest)."
        )
    gaps.sort(key=lambda g: (g.dimension != weakest, -g.size))
    if gaps and gaps[0].dimension == weakest:
        return f"The picture needs {gaps[0].advice} to match your references' {noun} ({theirs})."
    if any(g.dimension == weakest for g in open_gaps):
        return (
            f"The {noun} is furthest from your references ({theirs}); the changes that would "
            "bring it nearer are already as far as the sketch engine takes them."
        )
    if gaps:
        other = NOUNS.get(gaps[0].dimension, "avoid-list")
        return (
            f"The {noun} is furthest from your references ({theirs}), though nothing left to "
            f"change would bring it nearer; the next one paints {gaps[0].advice} for the {other}."
        )
    return f"The {noun} is furthest from your references ({theirs}), though it is close."


def evidence(judgement: Judgement) -> str:
    """The measurements behind the sentence, for the iteration's details."""
    lines = [
        ", ".join(f"{DIMENSION_LABELS[d]} {judgement.scores[d]:.1f}" for d in CRITIQUE_DIMENSIONS)
    ]
    ratios = judgement.ratios or {}
    if ratios:
        lines.append(
            "distance from your references, in their own spread (about 1 for one of them; "
            f"{PASS_RATIO:g} scores {PASS_SCORE:g}, {ratio_at(DEFAULT_GATE_LOW):.1f} scores "
            f"{DEFAULT_GATE_LOW:g}): "
            + ", ".join(f"{LABELS.get(d, d)} {r:.1f}" for d, r in ratios.items())
        )
    network = f"{judgement.by_network:.1f}" if judgement.by_network is not None else "not read"
    lines.append(
        f"verdicts: independent measures {judgement.independent:.1f}, the style network "
        f"{network} (the score is the lower)"
    )
    if judgement.picture is not None and judgement.picture.plausibility < 1:
        lines.append(f"as a picture: {judgement.picture.plausibility:.2f} plausible")
    lines += [str(v) for v in judgement.violations]
    gaps = sorted(gaps_to_close(judgement), key=lambda g: -g.size)
    lines += [gap.describe() for gap in gaps[:4]]
    return "\n".join(lines)


def _style_steps(judgement: Judgement, strength: float, room: Room, current: float) -> float:
    beyond = style_beyond_target(judgement, strength)
    if not beyond:
        return 0.0
    wanted = min(np.ceil(beyond / STYLE_STEP_GAP), 2)
    return room.moved("style", current + wanted) - current


def revise_prompt(
    prompt: str,
    judgement: Judgement,
    profile: TasteProfile,
    subject: SubjectVerdict | None = None,
    weights: dict[str, float] = WEIGHTS,
) -> str:
    """The next prompt: the gaps closed by adjusting qualities, never one the person set, none
    past where it stops changing the picture, and none when every dimension already passes; when
    a motif of the intent was washed out, more contrast and less style first; when the picture
    falls short as a picture more than in any dimension, its remedy first."""
    room = Room.of(prompt)
    adjustments = dict(room.now)
    locked = locked_qualities(prompt)
    washed = washed_parts(subject)
    mending = WASHED if washed else picture_remedy(judgement, weights, locked, room)
    remedy = mending.steps if mending else {}
    deepens = mending.deepening(room) if mending else {}
    for control, step in (mending.open_steps(locked, room) if mending else {}).items():
        adjustments[control] = room.moved(control, adjustments.get(control, 0) + step)
    if "style" not in remedy:
        style = _style_steps(judgement, profile.style.strength, room, adjustments.get("style", 0))
        if style and "style" not in locked:
            adjustments["style"] = adjustments.get("style", 0) + style
    # within the references' own variety in every dimension, a gap to the nearest one is not
    # a gap: chasing it repaints a picture that already matches
    gaps = [] if judgement.every_dimension_passes else gaps_to_close(judgement)
    for gap in gaps:
        if gap.control in locked or gap.control in remedy:
            continue
        change = float(np.clip(round(gap.steps * GAIN), -MAX_STEP, MAX_STEP))
        if change * deepens.get(gap.control, 0.0) > 0:
            continue  # it would wash the motif out further, or deepen the picture's shortfall
        if change:
            adjustments[gap.control] = room.moved(
                gap.control, adjustments.get(gap.control, 0) + change
            )
    revised = prompt
    if profile.palette and not HEX_COLOUR.search(prompt):
        revised = f"{prompt.rstrip('. ')}. Colours: {', '.join(profile.palette)}."
    return set_adjustments(revised, adjustments)
