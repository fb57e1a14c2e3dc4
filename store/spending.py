"""Spending limits: what a person spent on model calls this month, their monthly cap, and how
many of their runs may be in flight at once.

Costs are what the gateway reports per call (`usage.cost`); the offline engine costs nothing.
A call counts in the month it was made: an iteration's calls when it was committed, an
extraction's with its run, a gate note's revision when the gate was decided.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Gate, Iteration, Run, User, utcnow
from store.states import Phase

DEFAULT_MAX_ACTIVE_RUNS = 3
IN_FLIGHT = (Phase.EXTRACTING, Phase.GENERATING)


class LimitSettingError(ValueError):
    """A limit setting that is not a number; the message names the variable."""


@dataclass(frozen=True)
class Limits:
    monthly_usd: float | None  # the site's default cap; None: no cap
    max_active_runs: int | None  # None: no limit

    @classmethod
    def from_env(cls) -> Limits:
        monthly = os.environ.get("TASTELOOP_USER_MONTHLY_USD", "").strip()
        active = os.environ.get("TASTELOOP_USER_MAX_ACTIVE_RUNS", "").strip()
        try:
            cap = float(monthly) if monthly else None
            most = int(active) if active else DEFAULT_MAX_ACTIVE_RUNS
        except ValueError:
            raise LimitSettingError(
                "TASTELOOP_USER_MONTHLY_USD must be a number of dollars and "
                "TASTELOOP_USER_MAX_ACTIVE_RUNS a whole number"
            ) from None
        if (cap is not None and cap < 0) or most < 0:
            raise LimitSettingError("spending limits cannot be negative")
        return cls(cap, most or None)  # 0 runs means "no limit"

    def cap_for(self, user: User) -> float | None:
        return user.monthly_cap_usd if user.monthly_cap_usd is not None else self.monthly_usd


def month_start(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def next_month_start(now: datetime | None = None) -> datetime:
    start = month_start(now)
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def _cost(calls: Iterable[Any] | None) -> float:
    return sum(float(c.get("cost_usd") or 0) for c in calls or () if isinstance(c, dict))


def spent_this_month(session: Session, user_ids: list[int] | None = None) -> dict[int, float]:
    """USD per user this month (every user, or those in `user_ids`)."""
    start = month_start()
    spent: dict[int, float] = defaultdict(float)

    def mine(query: Any) -> Any:
        return query if user_ids is None else query.where(Run.user_id.in_(user_ids))

    iterations = select(Run.user_id, Iteration.usage).join(Run, Iteration.run_id == Run.id)
    for user_id, usage in session.execute(mine(iterations.where(Iteration.created_at >= start))):
        spent[user_id] += _cost(usage)
    extractions = select(Run.user_id, Run.extract_usage).where(Run.created_at >= start)
    for user_id, usage in session.execute(mine(extractions)):
        spent[user_id] += _cost(usage)
    notes = select(Run.user_id, Gate.note_effect).join(Run, Gate.run_id == Run.id)
    for user_id, effect in session.execute(mine(notes.where(Gate.decided_at >= start))):
        spent[user_id] += _cost((effect or {}).get("usage"))
    return {user_id: round(total, 6) for user_id, total in spent.items()}


def active_runs(session: Session, user_ids: list[int] | None = None) -> dict[int, int]:
    """Runs extracting or generating, per user (every user, or those in `user_ids`)."""
    query = select(Run.user_id, func.count(Run.id)).where(Run.phase.in_(IN_FLIGHT))
    if user_ids is not None:
        query = query.where(Run.user_id.in_(user_ids))
    return {user_id: count for user_id, count in session.execute(query.group_by(Run.user_id))}


def usd(amount: float) -> str:
    """Dollars as people read them: cents, or more digits for the fractions of a cent that a
    single model call costs."""
    if amount == 0 or amount >= 1:
        return f"${amount:,.2f}"
    return "$" + f"{amount:.4f}".rstrip("0").rstrip(".")


def over_cap(
    session: Session, user: User, limits: Limits | None = None, *, costs_money: bool = True
) -> str | None:
    """Why this person may not spend more this month, or None (always None for an engine that
    costs nothing, the offline one)."""
    limits = limits or Limits.from_env()
    cap = limits.cap_for(user)
    if cap is None or not costs_money:
        return None
    spent = spent_this_month(session, [user.id]).get(user.id, 0.0)
    if spent < cap:
        return None
    return (
        f"Your monthly spending limit of {usd(cap)} is reached ({usd(spent)} spent this month). "
        f"It resets on {next_month_start():%-d %B}; an admin can raise it."
    )


def start_problem(
    session: Session, user: User, limits: Limits | None = None, *, costs_money: bool = True
) -> str | None:
    """Why this person may not put another run to work now, or None."""
    limits = limits or Limits.from_env()
    most = limits.max_active_runs
    if most is not None and active_runs(session, [user.id]).get(user.id, 0) >= most:
        return (
            f"You have {most} run{'s' if most != 1 else ''} in progress, the most allowed at once. "
            "Wait for one to finish, or stop one."
        )
    return over_cap(session, user, limits, costs_money=costs_money)
