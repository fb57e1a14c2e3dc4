"""A run's states: its phases, the stage that failed, and the labels people read for them and
for how a run ended (`Outcome`, from the core) and what was decided at a gate.

Every layer (store, jobs, web, templates) compares against these members, never raw strings.
The members are `StrEnum`s, so the database keeps the same plain values it always had.
"""

from __future__ import annotations

from enum import StrEnum

from tasteloop.domain.outcomes import GateDecision, Outcome


class Phase(StrEnum):
    EXTRACTING = "extracting"
    CONFIRM = "confirm"
    GENERATING = "generating"
    GATED = "gated"
    DONE = "done"
    FAILED = "failed"
    RESTARTED = "restarted"

    @property
    def working(self) -> bool:
        """A worker has (or will have) this run: the page keeps polling."""
        return self in WORKING_PHASES

    @property
    def polled(self) -> bool:
        """Its page keeps asking for news: a worker has it, or (at the gate) a decision may come
        from elsewhere (an admin's queue, another tab)."""
        return self.working or self is Phase.GATED

    @property
    def past_confirm(self) -> bool:
        """The profile is confirmed (or the run stopped): iterations and results may show."""
        return self not in (Phase.EXTRACTING, Phase.CONFIRM)


WORKING_PHASES = (Phase.EXTRACTING, Phase.GENERATING)
__all__ = ["GateDecision", "Outcome", "Phase", "Stage", "WORKING_PHASES"]


class Stage(StrEnum):
    """Which step of a run failed, and so which job a retry starts again."""

    EXTRACT = "extract"
    GENERATE = "generate"

    @property
    def phase(self) -> Phase:
        return Phase.EXTRACTING if self is Stage.EXTRACT else Phase.GENERATING

    @classmethod
    def of(cls, phase: str) -> Stage:
        return cls.EXTRACT if phase == Phase.EXTRACTING else cls.GENERATE


STAGE_LABELS: dict[Stage, dict[str, str]] = {
    Stage.EXTRACT: {
        "title": "Taste extraction stopped",
        "retry": "Extraction starts again with the same references.",
    },
    Stage.GENERATE: {
        "title": "Generation stopped",
        "retry": "Resumes from the last saved iteration.",
    },
}

# a decision at the gate as the decision log and the iteration card say it
DECISION_LABELS: dict[str, str] = {
    GateDecision.APPROVE: "approved",
    GateDecision.CONTINUE: "kept iterating",
    GateDecision.RESTART: "restarted",
}

OUTCOME_LABELS: dict[Outcome, dict[str, str]] = {
    Outcome.CONVERGED: {
        "title": "Converged",
        "sentence": "The critic scored it at or above your threshold, and it shows every part "
        "of what you asked for.",
        "status": "Converged: at or above the threshold, and it shows every part of the intent",
    },
    Outcome.APPROVED: {
        "title": "Approved by you",
        "sentence": "You approved this image at the gate.",
        "status": "Approved by a person at the gate",
    },
    Outcome.MAX_ITERATIONS: {
        "title": "Best of {count}",
        "sentence": "The iteration cap was reached; this is the best-scoring image.",
        "status": "Reached the iteration cap: the best image is kept",
    },
    Outcome.STOPPED: {
        "title": "Stopped",
        "sentence": "The run was stopped; its iterations are kept, and the best image so far.",
        "status": "Stopped: no further model calls are made",
    },
    Outcome.RESTARTED: {
        "title": "Restarted",
        "sentence": "This run was restarted.",
        "status": "Restarted by the user",
    },
}


# Where a run is, in the words of the pages (a badge, a history row): never the raw value.
PHASE_WORDS: dict[Phase, str] = {
    Phase.EXTRACTING: "Reading your images",
    Phase.CONFIRM: "Waiting for you to confirm",
    Phase.GENERATING: "Painting",
    Phase.GATED: "Waiting for your decision",
    Phase.DONE: "Finished",
    Phase.FAILED: "Stopped by an error",
    Phase.RESTARTED: "Restarted",
}
OUTCOME_WORDS: dict[Outcome, str] = {
    Outcome.CONVERGED: "Converged",
    Outcome.APPROVED: "Approved by you",
    Outcome.MAX_ITERATIONS: "Best at the cap",
    Outcome.STOPPED: "Stopped",
    Outcome.RESTARTED: "Restarted",
}


def run_words(phase: Phase, outcome: str | None) -> str:
    """A run's state as a person reads it: how it ended once it has, else where it is."""
    if phase == Phase.DONE and outcome in set(Outcome):
        return OUTCOME_WORDS[Outcome(outcome)]
    return PHASE_WORDS[Phase(phase)]
