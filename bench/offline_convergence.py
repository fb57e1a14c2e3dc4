"""Does the offline loop reach 8.0 within 5 iterations on every shared set and three intents?"""

from __future__ import annotations

import json
import sys

from bench.refsets import load_sets
from tasteloop.loop import LoopSettings, LoopState, run_loop
from tasteloop.offline.engine import offline_engine
from tasteloop.taste.profile import initial_prompt

INTENTS = ("a harbour at dusk", "a portrait of an old fisherman", "a city street in the rain")


def convergence(verbose: bool = False) -> dict[str, object]:
    engine = offline_engine()
    rows = []
    for name, images in load_sets().items():
        profile = engine.extractor.extract(images).profile
        for intent in INTENTS:
            result = run_loop(
                intent,
                profile,
                engine.generator,
                engine.critic,
                LoopSettings(max_iterations=5),
                state=LoopState(0, initial_prompt(intent, profile)),
            )
            scores = [round(r.score, 2) for r in result.iterations]
            rows.append(
                {
                    "set": name,
                    "intent": intent,
                    "converged": result.converged,
                    "iterations": len(result.iterations),
                    "scores": scores,
                }
            )
            if verbose:
                print(name, intent, scores, result.iterations[-1].critique.reasoning, flush=True)
    converged = sum(r["converged"] for r in rows)
    return {"converged": converged, "runs": len(rows), "rows": rows}


if __name__ == "__main__":
    result = convergence(verbose="-v" in sys.argv)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    for row in result["rows"]:
        print(f"{row['set']:32} {row['intent']:34} iterations={row['iterations']} {row['scores']}")
    sys.exit(0 if result["converged"] == result["runs"] else 1)
