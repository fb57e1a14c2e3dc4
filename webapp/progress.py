"""Progress as a person reads it: the step a generating run is in, how many iterations are
done, what is left at most (from the run's own iterations), and the time it has spent working:
its iterations' own time, never the time it waited for a person at the gate."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime

from store.models import Gate, Iteration, Run
from store.states import Phase


@dataclass(frozen=True)
class Progress:
    step: str | None  # what the worker is doing now, when it said so
    done: int  # iterations stored
    of: int  # the cap
    per_iteration_s: float | None  # the median of this run's own iterations
    worked_s: float  # working time of the stored iterations
    since: float | None  # epoch the current turn's work began (the page counts on from it)

    @property
    def left_s(self) -> float | None:
        """At most this long if every iteration left is painted (a run may converge sooner)."""
        if self.per_iteration_s is None or self.since is None:
            return None
        return self.per_iteration_s * max(0, self.of - self.done)


def _epoch(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.timestamp()


def run_progress(
    run: Run, iterations: list[Iteration], gates: list[Gate], step: str | None
) -> Progress:
    times = [it.generate_seconds + it.critique_seconds for it in iterations]
    since = None
    if run.phase == Phase.GENERATING:
        # the work resumed at the latest of: the start, the last stored iteration, a decision
        moments = [run.started_at, *(it.created_at for it in iterations)]
        since = max(_epoch(moment) for moment in [*moments, *(g.decided_at for g in gates)])
    return Progress(
        step=step if run.phase == Phase.GENERATING else None,
        done=len(iterations),
        of=run.max_iterations,
        per_iteration_s=statistics.median(times) if times else None,
        worked_s=sum(times),
        since=since,
    )


def duration(seconds: float) -> str:
    whole = max(0, int(round(seconds)))
    return f"{whole // 60}:{whole % 60:02d}" if whole >= 60 else f"{whole} s"
