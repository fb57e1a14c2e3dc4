"""The interfaces every engine implements, and the records they return.

An engine is the triple (extractor, generator, critic). The loop, the worker and the web
app only ever see these protocols, so the offline and gateway engines are interchangeable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tasteloop.taste.profile import CritiqueResult, TasteProfile


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
class GeneratedImage:
    data: bytes
    mime_type: str = "image/png"
    usage: tuple[CallUsage, ...] = ()


@dataclass(frozen=True)
class Critique:
    result: CritiqueResult
    usage: tuple[CallUsage, ...] = ()


@dataclass(frozen=True)
class Extraction:
    profile: TasteProfile
    usage: tuple[CallUsage, ...] = ()


class Extractor(Protocol):
    def extract(self, images: list[bytes]) -> Extraction: ...


class Generator(Protocol):
    def generate(self, prompt: str, *, seed: int = 0) -> GeneratedImage: ...


class Critic(Protocol):
    def critique(
        self, image: bytes, profile: TasteProfile, prompt: str, intent: str
    ) -> Critique: ...


@dataclass
class Engine:
    name: str  # "offline" | "gateway"
    extractor: Extractor
    generator: Generator
    critic: Critic
    models: dict[str, str] = field(default_factory=dict)
