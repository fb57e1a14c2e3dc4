"""The offline critic: it measures the image and scores it against the references' measurements
(scoring.py), and says what to change in the profile's words (advice.py)."""

from __future__ import annotations

import time

from PIL import Image

from tasteloop.domain.critique import CritiqueResult
from tasteloop.domain.engine import (
    Brief,
    CallUsage,
    Comparison,
    Critique,
    GeneratedImage,
    NoteRevision,
    as_generated,
)
from tasteloop.domain.profile import TasteProfile
from tasteloop.images import CRITIQUE_SIDE, decode_image
from tasteloop.measure.learned_style import measure_candidate
from tasteloop.measure.schema import ImageMeasurement
from tasteloop.offline import OFFLINE_MODELS
from tasteloop.offline.critic.advice import Room, evidence, reasoning, revise_prompt
from tasteloop.offline.critic.references import ReferenceMeasurements
from tasteloop.offline.critic.scoring import WEIGHTS, Judgement, judge
from tasteloop.offline.critic.subject import judge_subject
from tasteloop.offline.gate_note import read_note
from tasteloop.offline.layout_spec import locked_qualities


class OfflineCritic:
    model = OFFLINE_MODELS["critique"]

    def __init__(self, weights: dict[str, float] | None = None) -> None:
        self.weights = dict(weights or WEIGHTS)
        self.references = ReferenceMeasurements()

    def judge(self, image: bytes | Image.Image, profile: TasteProfile) -> Judgement:
        return self.judge_measured(measure_candidate(image), profile)

    def judge_measured(self, image: ImageMeasurement, profile: TasteProfile) -> Judgement:
        reference = self.references.of(profile)
        return judge(image, profile, reference, self.references.spread(reference), self.weights)

    def critique(self, image: bytes | GeneratedImage, prompt: str, brief: Brief) -> Critique:
        """The reference images are not needed: the profile carries their measurements. What
        the picture shows of the intent is judged from the generator's sketch, when it has one."""
        started = time.perf_counter()
        picture = as_generated(image)
        profile = brief.profile
        # decoded once for the measurements and the subject check, which looks at the picture
        # at its sketch's size; without a sketch only the measurements need it (a JPEG then
        # decodes in draft mode, as it always has)
        decoded = decode_image(picture.data, max_side=None if picture.sketch else CRITIQUE_SIDE)
        judgement = self.judge(decoded, profile)
        subject = judge_subject(brief.intent, judgement.image, decoded, picture.sketch)
        result = CritiqueResult(
            score=judgement.overall,
            breakdown=judgement.scores,
            reasoning=reasoning(
                judgement,
                profile,
                self.weights,
                subject,
                locked_qualities(prompt),
                Room.of(prompt),
            ),
            revised_prompt=revise_prompt(prompt, judgement, profile, subject, self.weights),
            subject=subject,
        )
        usage = CallUsage("critique", self.model, time.perf_counter() - started)
        return Critique(result=result, usage=(usage,), evidence=evidence(judgement))

    def compare(self, candidate: bytes, best: bytes, brief: Brief) -> Comparison | None:
        """None: measured scores do not depend on which image is shown first."""
        return None

    def apply_note(self, prompt: str, note: str, brief: Brief) -> NoteRevision:
        return read_note(prompt, note)
