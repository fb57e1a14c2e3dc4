"""A web run as a `run.json` document: what it painted, iteration by iteration, and its result,
in the shape the command line's `run.json` has (tasteloop/run_record.py), with image addresses
in place of file names."""

from __future__ import annotations

from typing import Any

from store.models import Run
from store.runs import readable_profile, result_picture


def run_document(run: Run, image_url: Any) -> dict[str, Any]:
    """`image_url(sha)` gives a picture's address."""
    gates = {g.iteration_id: g for g in run.gates}
    iterations = []
    for it in run.iterations:
        gate = gates.get(it.id)
        iterations.append(
            {
                "iteration": it.index + 1,
                "prompt": it.prompt,
                "score": it.score,
                "breakdown": it.breakdown,
                "reasoning": it.reasoning,
                "revised_prompt": it.revised_prompt,
                "critic_error": it.critic_error,
                "subject": it.subject,
                "image": image_url(it.image_sha),
                "candidates": [image_url(c["image_sha"]) for c in it.candidates or []],
                "candidate_scores": [c["score"] for c in it.candidates or []],
                "generate_seconds": it.generate_seconds,
                "critique_seconds": it.critique_seconds,
                "usage": it.usage,
                "gate": (
                    {"decision": gate.decision, "note": gate.note, "note_effect": gate.note_effect}
                    if gate is not None
                    else None
                ),
            }
        )
    by_id = {it.id: it for it in run.iterations}
    result = by_id.get(run.result_iteration_id or 0)
    loop_result = by_id.get(run.final_iteration_id or 0)
    picture = result_picture(run, result) if result is not None else None
    profile = readable_profile(run)
    return {
        "engine": run.engine,
        "models": run.models,
        "intent": run.intent,
        "shape": run.shape.to_dict(),
        "references": [ref.filename for ref in run.references],
        "profile": profile.model_dump(exclude={"measurements"}) if profile else None,
        "iterations": iterations,
        "result": {
            "outcome": str(run.outcome) if run.outcome else None,
            "final_iteration": loop_result.index + 1 if loop_result else None,
            "result_iteration": result.index + 1 if result else None,
            "result_candidate": (
                run.chosen_candidate + 1 if run.chosen_candidate is not None else None
            ),
            "chosen_by_person": run.chosen_iteration_id is not None,
            "image": image_url(picture[0]) if picture else None,
            "score": picture[1] if picture else None,
            "iterations": len(run.iterations),
        },
    }
