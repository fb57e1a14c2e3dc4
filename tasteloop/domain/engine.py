"""The interfaces every engine implements, and the records they return.

An engine is the triple (extractor, generator, critic). The loop, the worker and the web
app only ever see these protocols, so the offline and gateway engines are interchangeable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from tasteloop.domain.critique import CritiqueResult
from tasteloop.domain.profile import TasteProfile
from tasteloop.domain.shape import SQUARE, PictureShape


@dataclass(frozen=True)
class CallUsage:
    """One model call: what it cost in time, tokens and money."""

    role: str  # "extract" | "generate" | "critique"
    model: str
    latency_s: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "role": self.role,
            "model": self.model,
            "latency_s": round(self.latency_s, 4),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
        }


@dataclass(frozen=True)
class Sketch:
    """What a generator meant to draw, for its own engine's critic to look for in the picture:
    the unpainted layout (a greyscale PNG) and, per motif drawn, the pixels it covers (a PNG
    mask of the same size)."""

    layout: bytes
    footprints: dict[str, bytes]


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    mime_type: str = "image/png"
    usage: tuple[CallUsage, ...] = ()
    # what went with the prompt: how many style references, and whether the best image so far
    # was sent to be edited; `inputs_refused` says why the provider took the text alone
    references_sent: int = 0
    edited: bool = False
    inputs_refused: str | None = None
    sketch: Sketch | None = None  # the offline generator's: what it drew, where


@dataclass(frozen=True)
class StyleTarget:
    """The learned style to paint in (tasteloop.measure.style_network) and how strongly (0-1)."""

    vector: tuple[float, ...]
    strength: float = 1.0


@dataclass(frozen=True)
class GenerationInputs:
    """What goes with a generation request besides the prompt."""

    references: tuple[bytes, ...] = ()  # style references, in order of emphasis
    edit_from: bytes | None = None  # the best image so far, when refining by editing it
    style: StyleTarget | None = None  # for a generator that paints with the style network
    emphasis: tuple[float, ...] = ()  # the references' weights (heaviest first), when set
    shape: PictureShape = SQUARE  # the picture's aspect ratio and size class


NO_INPUTS = GenerationInputs()


class Preference(StrEnum):
    CANDIDATE = "candidate"
    BEST = "best"


@dataclass(frozen=True)
class Comparison:
    """Is the candidate better than the best so far? Asked twice with the images swapped."""

    answers: tuple[Preference, ...]  # (candidate shown second, candidate shown first)
    reasons: tuple[str, ...] = ()
    usage: tuple[CallUsage, ...] = ()
    error: str | None = None

    @property
    def agreed(self) -> Preference | None:
        if self.error or len(set(self.answers)) != 1:
            return None
        return self.answers[0]

    def to_dict(self) -> dict[str, object]:
        return {
            "answers": [str(a) for a in self.answers],
            "reasons": list(self.reasons),
            "agreed": str(self.agreed) if self.agreed else None,
            "error": self.error,
        }


@dataclass(frozen=True)
class NoteRevision:
    """A person's words at the gate turned into the next prompt."""

    prompt: str
    acted_on: tuple[str, ...] = ()  # what was done, one line per thing the note asked
    not_understood: tuple[str, ...] = ()  # words the engine could not act on
    usage: tuple[CallUsage, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "acted_on": list(self.acted_on),
            "not_understood": list(self.not_understood),
            "error": self.error,
        }


@dataclass(frozen=True)
class Critique:
    result: CritiqueResult
    usage: tuple[CallUsage, ...] = ()
    evidence: str | None = None  # what the judgement rests on, for a person to check


@dataclass(frozen=True)
class Extraction:
    profile: TasteProfile
    usage: tuple[CallUsage, ...] = ()


class Extractor(Protocol):
    def extract(self, images: list[bytes]) -> Extraction: ...


class Generator(Protocol):
    def generate(
        self, prompt: str, *, seed: int = 0, inputs: GenerationInputs = NO_INPUTS
    ) -> GeneratedImage: ...


@dataclass(frozen=True)
class Brief:
    """What an image is judged against: the taste, what the person asked to make, and their
    reference images (heaviest first, without those weighted 0)."""

    profile: TasteProfile
    intent: str
    references: tuple[bytes, ...] = ()
    # the person's gate notes so far, oldest first: they lead, and no critique asks to undo them
    notes: tuple[str, ...] = ()


def as_generated(image: bytes | GeneratedImage) -> GeneratedImage:
    """A picture as a critic takes it: what a generator returned (with its sketch, when it made
    one), or bare bytes (a reference, an upload) with nothing known of what it shows."""
    return image if isinstance(image, GeneratedImage) else GeneratedImage(image)


class Critic(Protocol):
    def critique(self, image: bytes | GeneratedImage, prompt: str, brief: Brief) -> Critique:
        """`image` is what the generator returned, or bare bytes (see `as_generated`)."""
        ...

    def compare(self, candidate: bytes, best: bytes, brief: Brief) -> Comparison | None:
        """None when this critic's scores are already position-free (the loop uses them)."""
        ...

    def apply_note(self, prompt: str, note: str, brief: Brief) -> NoteRevision: ...


@dataclass
class Engine:
    name: str  # "offline" | "gateway"
    extractor: Extractor
    generator: Generator
    critic: Critic
    models: dict[str, str] = field(default_factory=dict)
