"""Scripted collaborators for loop tests: they return what each test dictates."""

import threading

from tasteloop.engine_types import Critique, GeneratedImage
from tasteloop.taste.profile import CRITIQUE_DIMENSIONS, CritiqueResult


class ScriptedGenerator:
    def __init__(self, fail_at: int | None = None):
        self.prompts: list[str] = []
        self.fail_at = fail_at
        self._lock = threading.Lock()

    def generate(self, prompt, *, seed=0):
        with self._lock:
            if self.fail_at is not None and len(self.prompts) == self.fail_at:
                raise RuntimeError("provider down")
            self.prompts.append(prompt)
            return GeneratedImage(f"image-{len(self.prompts)}".encode())


class ScriptedCritic:
    """Scores come from a list; None in the list means the critic raises."""

    def __init__(self, scores):
        self.scores = list(scores)
        self.calls = 0
        self._lock = threading.Lock()

    def critique(self, image, profile, prompt, intent):
        with self._lock:
            score = self.scores[self.calls]
            self.calls += 1
        if score is None:
            raise TimeoutError("vision model timed out")
        return Critique(
            CritiqueResult(
                score=score,
                breakdown={d: score for d in CRITIQUE_DIMENSIONS},
                reasoning=f"gap after {image.decode()}",
                revised_prompt=f"revised after {image.decode()}",
            )
        )
