"""A quick engine for web and job tests where the engine is not what is tested.

Its extractor is the real offline one, each set of references extracted once per session; its
generator paints a small picture from the prompt's hash in a few milliseconds; its critic scores
each picture between 8.5 and 9.5 by its hash (above the default threshold, below the tests'
"never converge" 9.9), names a gap, revises the prompt with one adjustment, and reads a gate note
like the offline critic.
Tests that exercise the real offline engine through the app are marked `real_engine`.
"""

from __future__ import annotations

import hashlib
import io
import time

from PIL import Image, ImageDraw

from tasteloop.domain.critique import CritiqueResult
from tasteloop.domain.engine import (
    NO_INPUTS,
    Brief,
    CallUsage,
    Comparison,
    Critique,
    Engine,
    Extraction,
    GeneratedImage,
    GenerationInputs,
    NoteRevision,
    as_generated,
)
from tasteloop.domain.profile import CRITIQUE_DIMENSIONS
from tasteloop.domain.subject import SubjectPart, SubjectVerdict
from tasteloop.offline import OFFLINE_MODELS
from tasteloop.offline.gate_note import read_note
from tasteloop.offline.layout_spec import parse_adjustments, set_adjustments
from tests.support.profiles import extracted

LOWEST, SPREAD = 8.5, 1.0
SIDE = 96


class QuickExtractor:
    model = OFFLINE_MODELS["extract"]

    def extract(self, images: list[bytes]) -> Extraction:
        started = time.perf_counter()
        profile = extracted(images)
        return Extraction(
            profile, (CallUsage("extract", self.model, time.perf_counter() - started),)
        )


class QuickGenerator:
    """A picture that differs with every prompt and seed: a colour field and a disc."""

    model = "quick-generator"

    def generate(
        self, prompt: str, *, seed: int = 0, inputs: GenerationInputs = NO_INPUTS
    ) -> GeneratedImage:
        digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
        width, height = inputs.shape.pixels(SIDE)
        image = Image.new("RGB", (width, height), tuple(digest[:3]))
        x, y, r = digest[3] % width, digest[4] % height, 10 + digest[5] % 30
        ImageDraw.Draw(image).ellipse((x - r, y - r, x + r, y + r), fill=tuple(digest[6:9]))
        out = io.BytesIO()
        image.save(out, "PNG")
        return GeneratedImage(out.getvalue(), usage=(CallUsage("generate", self.model, 0.0),))


class QuickCritic:
    model = "quick-critic"

    def critique(self, image: bytes | GeneratedImage, prompt: str, brief: Brief) -> Critique:
        image = as_generated(image).data
        adjustments = parse_adjustments(prompt)
        adjustments["detail"] = adjustments.get("detail", 0) + 1
        score = round(LOWEST + SPREAD * hashlib.sha256(image).digest()[0] / 256, 2)
        result = CritiqueResult(
            score=score,
            breakdown={d: score for d in CRITIQUE_DIMENSIONS},
            reasoning="The picture needs more detail and denser marks to match your references.",
            revised_prompt=set_adjustments(prompt, adjustments),
            subject=SubjectVerdict(
                parts=[SubjectPart(part=brief.intent, shown=True)], judged_by="quick critic"
            ),
        )
        usage = CallUsage("critique", self.model, 0.0)
        return Critique(result, (usage,), evidence="quick critic: a score from the picture's hash")

    def compare(self, candidate: bytes, best: bytes, brief: Brief) -> Comparison | None:
        return None

    def apply_note(self, prompt: str, note: str, brief: Brief) -> NoteRevision:
        return read_note(prompt, note)


def quick_engine() -> Engine:
    return Engine(
        name="offline",
        extractor=QuickExtractor(),
        generator=QuickGenerator(),
        critic=QuickCritic(),
        models=dict(OFFLINE_MODELS),
    )
