"""Critique by a vision model through the gateway, grounded in offline measurements."""

from __future__ import annotations

import json
import time

from tasteloop.client import GatewayClients, ask_structured, usage_from_completion
from tasteloop.engine_types import Critique
from tasteloop.images import CRITIQUE_SIDE, data_url_for_model, decode_image
from tasteloop.offline.measure import measure
from tasteloop.taste.profile import CRITIQUE_DIMENSIONS, CritiqueResult, TasteProfile

CRITIQUE_PROMPT = """TASK: CRITIQUE.
Judge how well the attached image matches this taste profile (not whether it is pretty).
Taste profile (JSON): {profile}
The user's intent: {intent}
The prompt that produced the image: {prompt}
{evidence}
Score each dimension 0-10 in `breakdown` with exactly these keys: {dimensions}.
`score` is the overall 0-10 match. `reasoning` is ONE sentence naming the single biggest gap.
`revised_prompt` is the full prompt to try next: keep the intent, fix that gap concretely."""

EVIDENCE_FEATURES = (
    "lightness",
    "lightness_spread",
    "chroma",
    "colourfulness",
    "warmth",
    "grey_fraction",
    "edge_density",
    "negative_space",
    "mass_x",
    "mass_y",
    "symmetry",
    "grain",
    "hf_energy",
    "flat_fraction",
    "straightness",
)


def measurement_evidence(profile: TasteProfile, image: bytes) -> str:
    """Numbers for the references (mean, min-max) beside the same numbers for this image."""
    stats = (profile.measurements or {}).get("stats")
    if not stats:
        return ""
    measured = measure(decode_image(image, max_side=CRITIQUE_SIDE)).features
    lines = ["Measured evidence (references mean [min-max] vs this image):"]
    for name in EVIDENCE_FEATURES:
        s = stats.get(name)
        if s:
            lines.append(
                f"- {name}: {s['mean']:.3g} [{s['min']:.3g}-{s['max']:.3g}] vs {measured[name]:.3g}"
            )
    palette = (profile.measurements or {}).get("palette") or []
    if palette:
        lines.append(
            "- reference palette: " + ", ".join(f"{c['hex']} {c['weight']:.0%}" for c in palette)
        )
    return "\n".join(lines)


class GatewayCritic:
    def __init__(self, clients: GatewayClients) -> None:
        self.clients = clients
        self.model = clients.settings.vision_model

    def critique(self, image: bytes, profile: TasteProfile, prompt: str, intent: str) -> Critique:
        started = time.perf_counter()
        text = CRITIQUE_PROMPT.format(
            profile=json.dumps(profile.model_dump(exclude={"measurements"})),
            intent=intent,
            prompt=prompt,
            evidence=measurement_evidence(profile, image),
            dimensions=", ".join(CRITIQUE_DIMENSIONS),
        )
        parts = [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": data_url_for_model(image, CRITIQUE_SIDE)}},
        ]

        result, completion = ask_structured(
            self.clients, self.model, CritiqueResult, parts, what="critique"
        )
        usage = usage_from_completion(
            "critique", self.model, time.perf_counter() - started, completion
        )
        return Critique(result=result, usage=(usage,))
