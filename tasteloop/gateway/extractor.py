"""Taste extraction by a vision model through the gateway (instructor, JSON mode)."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field

from tasteloop.domain.engine import Extraction
from tasteloop.domain.profile import MAX_SWATCHES, SENTENCE_FIELDS, TasteProfile
from tasteloop.domain.text import without_figures
from tasteloop.gateway.client import GatewayClients, ask_structured, usage_from_completion
from tasteloop.images import EXTRACTION_SIDE, data_url_for_model
from tasteloop.measure.avoid_rules import shown_by
from tasteloop.measure.colour import named_hexes
from tasteloop.measure.learned_style import measure_references
from tasteloop.measure.schema import Measurements
from tasteloop.measure.trait_claims import checked_sentence

MIN_AVOID = 3
# a sentence every clause of which the measurements contradicted
NOT_SHARED = "Nothing the references measurably share was named here; describe it in your words."

EXTRACTION_PROMPT = """TASK: EXTRACT TASTE.
You are an art director. The {count} images that follow were chosen by one person because
they share a taste. Describe what the images SHARE, never what any one of them depicts.
Write ONE precise, opinionated sentence for each of: palette_tendency, compositional_style,
emotional_register, texture_feel, in the words a painter would use to a friend: name colours
as a painter does (ultramarine, ochre, ink black), never as hex codes, percentages or numeric
scales. Name what an image model can follow: light/dark key, contrast, where the light comes
from and where the mass sits, symmetry, how much empty space, line work and contours, how the
paint is laid (broken colour, stippling, flat areas), edges, grain. A sentence that would fit
any set of pictures is not a finding. Then an avoid_list of 3 to 5 concrete things NONE of
these images does, and 3 to 5 overarching principles. If the images disagree on a quality, say
so rather than inventing a shared trait. No generic praise. Finally `palette`: the 3 to 6
colours the images share as #rrggbb, heaviest first."""


class ExtractedTaste(BaseModel):
    principles: list[str] = Field(min_length=3, max_length=5)
    palette_tendency: str
    compositional_style: str
    emotional_register: str
    texture_feel: str
    avoid_list: list[str] = Field(min_length=3, max_length=5)
    palette: list[Any] = Field(default_factory=list, description="3-6 colours as #rrggbb")


def in_plain_words(taste: ExtractedTaste, measured: Measurements) -> dict[str, Any]:
    """The model's profile as a person reads it, checked against what was measured: no figures
    in the sentences (a hex code becomes its colour's name), the swatches from the reply (or the
    hex codes its sentences named, or the measured palette), no clause claiming a trait most
    references measurably lack (what was left out is kept with the measurements), and no avoid
    item that one of the references itself shows (measured ones take their place)."""
    named = [
        code
        for text in (taste.palette_tendency, *[str(c) for c in taste.palette])
        for code in named_hexes(text)
    ]
    swatches = list(dict.fromkeys(named))[:MAX_SWATCHES] or [c.hex for c in measured.palette]
    features = [r.features for r in measured.references]
    avoid = [without_figures(item) for item in taste.avoid_list if not shown_by(item, features)]
    for limit in measured.avoid:
        if len(avoid) >= MIN_AVOID:
            break
        if limit.text not in avoid:
            avoid.append(limit.text)
    left_out: list[str] = []

    def checked(text: str) -> str:
        result = checked_sentence(without_figures(text), measured.references)
        left_out.extend(result.dropped)
        return result.text

    sentences = {}
    for name in SENTENCE_FIELDS:
        sentences[name] = checked(getattr(taste, name)) or NOT_SHARED
    principles = [p for p in (checked(p) for p in taste.principles) if p]
    return {
        "principles": principles or [NOT_SHARED],
        **sentences,
        "avoid_list": [a for a in avoid if a],
        "palette": swatches,
        "left_out": left_out,
    }


class GatewayExtractor:
    def __init__(self, clients: GatewayClients) -> None:
        self.clients = clients
        self.model = clients.settings.vision_model

    def extract(self, images: list[bytes]) -> Extraction:
        started = time.perf_counter()
        parts: list[dict[str, object]] = [
            {"type": "text", "text": EXTRACTION_PROMPT.format(count=len(images))}
        ]
        for data in images:
            parts.append(
                {
                    "type": "image_url",
                    "image_url": {"url": data_url_for_model(data, EXTRACTION_SIDE)},
                }
            )

        taste, completion = ask_structured(
            self.clients, self.model, ExtractedTaste, parts, what="taste extraction"
        )
        # Offline measurements (and the learned style) travel with the profile as evidence.
        measurements = measure_references(images)
        words = in_plain_words(taste, measurements)
        measurements = measurements.model_copy(update={"left_out": words.pop("left_out")})
        profile = TasteProfile(**words, measurements=measurements)
        usage = usage_from_completion(
            "extract", self.model, time.perf_counter() - started, completion
        )
        return Extraction(profile=profile, usage=(usage,))
