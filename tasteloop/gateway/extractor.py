"""Taste extraction by a vision model through the gateway (instructor, JSON mode)."""

from __future__ import annotations

import time

from pydantic import BaseModel, Field

from tasteloop.domain.engine import Extraction
from tasteloop.domain.profile import TasteProfile
from tasteloop.gateway.client import GatewayClients, ask_structured, usage_from_completion
from tasteloop.images import EXTRACTION_SIDE, data_url_for_model
from tasteloop.measure.learned_style import measure_references

EXTRACTION_PROMPT = """TASK: EXTRACT TASTE.
You are an art director. The {count} images that follow were chosen by one person because
they share a taste. Describe what the images SHARE, never what any one of them depicts.
Write ONE precise, opinionated sentence for each of: palette_tendency, compositional_style,
emotional_register, texture_feel. Name concrete qualities an image model can follow (colours
as hex codes with rough proportions, light/dark key, contrast, where the mass sits, how much
empty space, mark-making and edges, grain). Then an avoid_list of 3 to 5 concrete things these
images never do, and 3 to 5 overarching principles. If the images disagree on a quality, say
so rather than inventing a shared trait. No generic praise."""


class ExtractedTaste(BaseModel):
    principles: list[str] = Field(min_length=3, max_length=5)
    palette_tendency: str
    compositional_style: str
    emotional_register: str
    texture_feel: str
    avoid_list: list[str] = Field(min_length=3, max_length=5)


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
        profile = TasteProfile(**taste.model_dump(), measurements=measurements)
        usage = usage_from_completion(
            "extract", self.model, time.perf_counter() - started, completion
        )
        return Extraction(profile=profile, usage=(usage,))
