"""How a run ends, and what a person decides at its gate: one vocabulary for every layer."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    CONVERGED = "converged"
    APPROVED = "approved"
    MAX_ITERATIONS = "max_iterations"
    RESTARTED = "restarted"
    STOPPED = "stopped"


class GateDecision(StrEnum):
    APPROVE = "approve"
    CONTINUE = "continue"
    RESTART = "restart"
