"""Database rows as a test writes them directly, with only what the test is about set."""

from __future__ import annotations

from store.models import Iteration


def iteration_row(run_id: int, sha: str, index: int = 0, prompt: str = "p") -> Iteration:
    """An iteration of `run_id` that painted `prompt` into the stored image `sha`."""
    return Iteration(
        run_id=run_id,
        index=index,
        prompt=prompt,
        image_sha=sha,
        score=6.0,
        breakdown=[],
        reasoning="r",
        revised_prompt=prompt,
    )
