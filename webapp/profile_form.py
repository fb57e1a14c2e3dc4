"""The confirm form: profile fields and loop settings as text, parsed back explicitly.

The avoid-list text field is named `avoid_text`, not `avoid_list`, so it can never be mistaken
for the model field it is parsed into (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from tasteloop.domain.profile import (
    MAX_ITEMS,
    MAX_SWATCHES,
    MAX_WEIGHT,
    SENTENCE_FIELDS,
    StyleControls,
    StyleProblem,
    TasteProfile,
    parse_style_controls,
)
from tasteloop.domain.run_settings import MAX_CANDIDATES, MAX_INTENT, MAX_ITERATIONS, LoopSettings
from tasteloop.domain.shape import SQUARE, PictureShape, ShapeError, parse_shape
from tasteloop.domain.text import clean_text

MAX_TEXT = 2000
_DEFAULTS = LoopSettings()
# What the loop-settings inputs show before a person changes them, and their bounds.


def settings_values(settings: LoopSettings) -> dict[str, str]:
    """The loop-settings inputs showing these settings."""
    return {
        "max_iterations": str(settings.max_iterations),
        "threshold": str(settings.threshold),
        "gate_low": str(settings.gate_low),
        "candidates": str(settings.candidates),
    }


DEFAULT_SETTINGS = settings_values(_DEFAULTS)
LOOP_BOUNDS = {"max_iterations": MAX_ITERATIONS, "candidates": MAX_CANDIDATES}


STRENGTH_KEY = "style_strength"


def weight_key(position: int) -> str:
    """The form field of the reference at `position` (0-based) in upload order."""
    return f"weight_{position + 1}"


def style_keys(count: int) -> tuple[str, ...]:
    return (STRENGTH_KEY, *(weight_key(i) for i in range(count)))


def style_values(controls: StyleControls, count: int) -> dict[str, str]:
    return {
        STRENGTH_KEY: f"{controls.strength * 100:g}",
        **{weight_key(i): f"{w:g}" for i, w in enumerate(controls.weights_for(count))},
    }


def parse_style(values: dict[str, str], count: int) -> tuple[StyleControls | None, list[str]]:
    """Strength in percent (0-100) and one weight (0-2) per reference; blank means default."""
    weights = [values.get(weight_key(i), "") for i in range(count)]
    controls, problems = parse_style_controls(values.get(STRENGTH_KEY, ""), weights)
    return controls, list(dict.fromkeys(_style_sentence(p) for p in problems))


def _style_sentence(problem: StyleProblem) -> str:
    """A style problem in the words of the form's labels."""
    if problem.control == "strength":
        return "Style strength must be a number from 0 to 100 (%)."
    if isinstance(problem.control, int):
        return (
            f"Reference {problem.control + 1}'s weight must be a number from 0 to {MAX_WEIGHT:g} "
            "(0 leaves it out)."
        )
    if problem.kind == "none above 0":
        return "Give at least one reference a weight above 0."
    return f"{problem.rule[:1].upper()}{problem.rule[1:]}."


@dataclass
class ConfirmForm:
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    profile: TasteProfile | None = None
    settings: LoopSettings | None = None
    shape: PictureShape | None = None

    @property
    def intent(self) -> str:
        return self.values.get("intent", "").strip()


NEW_SWATCH = "swatch_new"


def swatch_key(position: int) -> str:
    """The colour input of the profile's swatch at `position` (0-based)."""
    return f"swatch_{position + 1}"


def remove_key(position: int) -> str:
    return f"remove_swatch_{position + 1}"


SWATCH_KEYS = (
    *(swatch_key(i) for i in range(MAX_SWATCHES)),
    *(remove_key(i) for i in range(MAX_SWATCHES)),
    NEW_SWATCH,
)


def swatch_values(palette: list[str]) -> dict[str, str]:
    return {swatch_key(i): colour for i, colour in enumerate(palette)}


def parse_swatches(values: dict[str, str]) -> list[str]:
    """The kept swatches in order, then the added one; checked by the profile."""
    kept = [
        values[swatch_key(i)].strip().lower()
        for i in range(MAX_SWATCHES)
        if values.get(swatch_key(i), "").strip() and not values.get(remove_key(i))
    ]
    added = values.get(NEW_SWATCH, "").strip().lower()
    if added and not added.startswith("#"):
        added = f"#{added}"
    return [*kept, added] if added else kept


def form_values(
    profile: TasteProfile | None,
    intent: str = "",
    reference_count: int = 0,
    settings: LoopSettings = _DEFAULTS,
    shape: PictureShape = SQUARE,
) -> dict[str, str]:
    if profile is None:
        return {"intent": intent, **shape_values(shape)}
    return {
        **style_values(profile.style, reference_count),
        "principles": "\n".join(profile.principles),
        **{name: getattr(profile, name) for name in SENTENCE_FIELDS},
        **swatch_values(profile.palette),
        # the field is comma-separated, so a comma inside an item would split it in two
        "avoid_text": ", ".join(item.replace(",", "") for item in profile.avoid_list),
        "intent": intent,
        **settings_values(settings),
        **shape_values(shape),
    }


def split_avoid(text: str) -> list[str]:
    separators = text.replace("\n", ",").replace(";", ",")
    return [item.strip() for item in separators.split(",") if item.strip()]


PROFILE_KEYS = ("principles", *SENTENCE_FIELDS, "avoid_text", *SWATCH_KEYS)
SETTINGS_KEYS = ("max_iterations", "threshold", "gate_low", "candidates")
SHAPE_KEYS = ("aspect", "image_size")


def shape_values(shape: PictureShape) -> dict[str, str]:
    return {"aspect": shape.aspect, "image_size": shape.size}


def parse_shape_fields(
    values: dict[str, str], reference_sizes: Sequence[tuple[int, int]]
) -> tuple[PictureShape | None, list[str]]:
    try:
        return parse_shape(values.get("aspect"), values.get("image_size"), reference_sizes), []
    except ShapeError as exc:
        return None, [str(exc)]


def pick_values(form: dict[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    """The form's text fields, cut to size and without control or bidi-override characters."""
    return {k: clean_text((form.get(k) or "")[:MAX_TEXT], multiline=True) for k in keys}


def parse_profile(
    values: dict[str, str], measurements: dict | None, style: StyleControls | None = None
) -> tuple[TasteProfile | None, list[str]]:
    errors: list[str] = []
    principles = [line.strip(" -•\t") for line in values["principles"].splitlines() if line.strip()]
    avoid = split_avoid(values["avoid_text"])
    if not 1 <= len(principles) <= MAX_ITEMS:
        errors.append(f"Keep 1 to {MAX_ITEMS} principles, one per line.")
    if len(avoid) > MAX_ITEMS:
        errors.append(f"Keep the avoid-list to {MAX_ITEMS} items or fewer, separated by commas.")
    if errors:
        return None, errors
    try:
        profile = TasteProfile(
            principles=principles,
            avoid_list=avoid,
            palette=parse_swatches(values),
            measurements=measurements,
            style=style or StyleControls(),
            **{name: values[name] for name in SENTENCE_FIELDS},
        )
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "profile"
            message = str(err["msg"]).removeprefix("Value error, ")
            errors.append(f"{name.replace('_', ' ').capitalize()}: {message}.")
        return None, errors
    return (None if errors else profile), errors


def parse_settings(values: dict[str, str]) -> tuple[LoopSettings | None, list[str]]:
    try:
        max_iterations = int(values["max_iterations"] or _DEFAULTS.max_iterations)
        threshold = float(values["threshold"] or _DEFAULTS.threshold)
        gate_low = float(values["gate_low"] or _DEFAULTS.gate_low)
        candidates = int(values["candidates"] or _DEFAULTS.candidates)
    except ValueError:
        return None, ["Loop settings must be numbers."]
    try:
        return LoopSettings(max_iterations, threshold, gate_low, candidates), []
    except ValueError as exc:
        return None, [f"{str(exc)[0].upper()}{str(exc)[1:]}."]


def intent_errors(intent: str) -> list[str]:
    if not intent.strip():
        return ["Say what to make (the intent), e.g. “a harbour at dusk”."]
    if len(intent.strip()) > MAX_INTENT:
        return [f"Keep the intent to {MAX_INTENT} characters or fewer."]
    return []


def parse_confirm(
    form: dict[str, str],
    measurements: dict | None,
    reference_count: int,
    reference_sizes: Sequence[tuple[int, int]] = (),
) -> ConfirmForm:
    keys = (*PROFILE_KEYS, "intent", *SETTINGS_KEYS, *SHAPE_KEYS, *style_keys(reference_count))
    values = pick_values(form, keys)
    result = ConfirmForm(values=values, errors=intent_errors(values["intent"]))
    style, style_errors = parse_style(values, reference_count)
    profile, profile_errors = (
        (None, []) if style_errors else parse_profile(values, measurements, style)
    )
    settings, settings_errors = parse_settings(values)
    shape, shape_errors = parse_shape_fields(values, reference_sizes)
    result.errors += style_errors + profile_errors + settings_errors + shape_errors
    if not result.errors:
        result.profile, result.settings, result.shape = profile, settings, shape
    return result
