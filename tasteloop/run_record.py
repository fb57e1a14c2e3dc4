"""`run.json`: what a headless run did, iteration by iteration, written as it goes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasteloop.domain.engine import Engine, NoteRevision
from tasteloop.domain.profile import TasteProfile
from tasteloop.domain.shape import SQUARE, PictureShape
from tasteloop.iteration import IterationRecord, candidate_record
from tasteloop.loop import LoopResult


def iteration_document(record: IterationRecord, names: list[str]) -> dict[str, Any]:
    """One iteration as run.json holds it; `names` are its candidates' image files."""
    chosen = record.chosen
    judged = candidate_record(chosen)
    return {
        "iteration": record.index + 1,
        "prompt": record.prompt,
        "score": judged["score"],
        "breakdown": judged["breakdown"],
        "reasoning": judged["reasoning"],
        "revised_prompt": record.critique.revised_prompt,
        "critic_error": judged["critic_error"],
        "subject": (
            record.critique.subject.model_dump(mode="json") if record.critique.subject else None
        ),
        "evidence": chosen.evidence,
        "image": names[record.chosen_index],
        "candidates": names,
        "candidate_scores": [c.critique.score for c in record.candidates],
        "generate_seconds": round(chosen.generate_seconds, 4),
        "critique_seconds": round(chosen.critique_seconds, 4),
        "usage": [u.to_dict() for u in record.usage],
        "generation": {
            "references_sent": chosen.image.references_sent,
            "edited": chosen.image.edited,
            "inputs_refused": chosen.image.inputs_refused,
            "repeats": record.repeats,
        },
        "comparison": record.comparison.to_dict() if record.comparison else None,
        "became_best": record.replaces_best,
    }


@dataclass
class RunRecord:
    out: Path
    engine: Engine
    intent: str
    profile: TasteProfile
    references: list[str]  # file names, in the order they go to generator and critic
    shape: PictureShape = SQUARE
    iterations: list[dict[str, Any]] = field(default_factory=list)

    def add_iteration(self, record: IterationRecord) -> list[str]:
        """Save the iteration's images and note it; returns the image file names."""
        names = []
        for k, candidate in enumerate(record.candidates):
            suffix = "" if len(record.candidates) == 1 else f"-c{k + 1}"
            name = f"iteration-{record.index + 1:02d}{suffix}.png"
            (self.out / name).write_bytes(candidate.image.data)
            names.append(name)
        self.iterations.append(iteration_document(record, names))
        return names

    def add_gate(self, decision: str, note: str | None) -> None:
        self.iterations[-1]["gate"] = {"decision": decision, "note": note}

    def add_note_effect(self, revision: NoteRevision) -> None:
        self.iterations[-1]["gate"]["note_effect"] = {
            "prompt": revision.prompt,
            **revision.to_dict(),
        }

    def write(self, result: LoopResult | None = None, seconds: float | None = None) -> Path:
        summary = None
        if result is not None:
            final_name = None
            if result.final_image is not None:
                final_name = "final.png"
                (self.out / final_name).write_bytes(result.final_image)
            summary = {
                "outcome": str(result.outcome or result.exit),
                "final_image": final_name,
                "final_iteration": None if result.final_index is None else result.final_index + 1,
                "score": result.final_score,
                "iterations": len(result.iterations),
                "converged": result.converged,
                "human_approved": result.human_approved,
                "seconds": seconds,
            }
        payload = {
            "engine": self.engine.name,
            "models": self.engine.models,
            "intent": self.intent,
            "shape": self.shape.to_dict(),
            # an iteration's `generation` says how many of them its request carried
            "references": self.references,
            "profile": self.profile.model_dump(exclude={"measurements"}),
            "iterations": self.iterations,
            "result": summary,
        }
        path = self.out / "run.json"
        path.write_text(json.dumps(payload, indent=2))
        return path
