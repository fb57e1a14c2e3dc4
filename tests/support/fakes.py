"""Scripted collaborators for loop tests: they return what each test dictates."""

import threading

from tasteloop.domain.critique import CritiqueResult
from tasteloop.domain.engine import (
    NO_INPUTS,
    Comparison,
    Critique,
    GeneratedImage,
    NoteRevision,
    Preference,
    as_generated,
)
from tasteloop.domain.profile import CRITIQUE_DIMENSIONS
from tasteloop.domain.subject import SubjectPart, SubjectVerdict


class ScriptedGenerator:
    def __init__(self, fail_at: int | None = None):
        self.prompts: list[str] = []
        self.seeds: list[int] = []
        self.inputs = []
        self.fail_at = fail_at
        self._lock = threading.Lock()

    def generate(self, prompt, *, seed=0, inputs=NO_INPUTS):
        with self._lock:
            if self.fail_at is not None and len(self.prompts) == self.fail_at:
                raise RuntimeError("provider down")
            self.prompts.append(prompt)
            self.seeds.append(seed)
            self.inputs.append(inputs)
            return GeneratedImage(f"image-{len(self.prompts)}".encode())


class ScriptedCritic:
    """Scores come from a list; None in the list means the critic raises.

    `verdicts`, when given, answer the pairwise question in order: a pair of "candidate" /
    "best" (the two swapped asks), or None for a comparison that raises.
    """

    def __init__(self, scores, verdicts=None, shown=None, revises=True):
        self.scores = list(scores)
        self.revises = revises  # False: the revised prompt is the prompt as it was
        # whether each picture shows the intent (default: always)
        self.shown = list(shown) if shown is not None else None
        self.verdicts = list(verdicts) if verdicts is not None else None
        self.calls = 0
        self.compared: list[tuple[bytes, bytes]] = []
        self.references_seen: list[tuple[bytes, ...]] = []
        self.notes: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def critique(self, image, prompt, brief):
        image = as_generated(image).data
        references = brief.references
        with self._lock:
            score = self.scores[self.calls]
            self.calls += 1
            self.references_seen.append(tuple(references))
        if score is None:
            raise TimeoutError("vision model timed out")
        shown = True if self.shown is None else self.shown[self.calls - 1]
        return Critique(
            CritiqueResult(
                score=score,
                breakdown={d: score for d in CRITIQUE_DIMENSIONS},
                reasoning=f"gap after {image.decode()}",
                revised_prompt=f"revised after {image.decode()}" if self.revises else prompt,
                subject=SubjectVerdict(
                    parts=[SubjectPart(part=brief.intent, shown=shown)], judged_by="script"
                ),
            )
        )

    def compare(self, candidate, best, brief):
        if self.verdicts is None:
            return None
        self.compared.append((candidate, best))
        answers = self.verdicts.pop(0)
        if answers is None:
            raise TimeoutError("vision model timed out")
        return Comparison(answers=tuple(Preference(a) for a in answers))

    def apply_note(self, prompt, note, brief):
        self.notes.append((prompt, note))
        if note == "explode":
            raise RuntimeError("reviser down")
        return NoteRevision(prompt=f"{prompt} + {note}", acted_on=(note,))
