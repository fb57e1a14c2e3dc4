"""Spending limits: what a person spent on model calls this month, their monthly cap, and how
many of their runs may be in flight at once.

Spending is a ledger (`SpendingEntry`, rows only ever added) kept under the account's opaque
`spending_key`, never deleted with runs or accounts, so deleting a run, or the account, cannot
un-spend anything. Before a turn's calls the turn holds an estimate against the cap with one
conditional UPDATE of the account-month row (`SpendingMonth`): turns that start at the same
moment cannot all read the same total. After the calls, the hold is settled with what they cost
(the turn's meter: every call, kept or not) in the same transaction that stores the turn's work.
Costs are what the gateway reports per call (`usage.cost`); the offline engine costs nothing.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.library import reextractions_under_way
from store.models import Run, SpendingEntry, SpendingHold, SpendingMonth, User, utcnow
from store.states import Phase

DEFAULT_MAX_ACTIVE_RUNS = 3
IN_FLIGHT = (Phase.EXTRACTING, Phase.GENERATING)
# What a turn holds when this account has never paid for a turn of its kind: afterwards the most
# one has cost (image models cost a few cents a picture; a hold too small only lets the month go
# over by the difference, once per turn in flight).
FIRST_HOLD_USD = 0.05
# A hold that is still open after this long belongs to a worker that was killed mid-turn (a turn's
# job times out after an hour): the sweeper lets it go.
HOLD_LIFETIME = timedelta(hours=2)
MAX_CAP_USD = 1_000_000.0


class LimitSettingError(ValueError):
    """A limit setting that is not a number; the message names the variable."""


def parse_usd(raw: str, what: str) -> float:
    """Dollars as a person types them ("5", "$5.50"); refuses what is not a plain amount from 0
    to $1,000,000 ("nan", "-0", "5_0", "1e3")."""
    text = raw.strip().removeprefix("$").strip()
    digits = text.replace(".", "", 1)
    if not digits.isdigit() or not digits.isascii():
        raise LimitSettingError(f"{what} must be a number of dollars, like 5 or 12.50")
    value = float(text)
    if not (math.isfinite(value) and 0 <= value <= MAX_CAP_USD):
        raise LimitSettingError(f"{what} must be between $0 and ${MAX_CAP_USD:,.0f}")
    return round(value, 2)


@dataclass(frozen=True)
class Limits:
    monthly_usd: float | None  # the site's default cap; None: no cap
    max_active_runs: int | None  # None: no limit

    @classmethod
    def from_env(cls) -> Limits:
        monthly = os.environ.get("TASTELOOP_USER_MONTHLY_USD", "").strip()
        active = os.environ.get("TASTELOOP_USER_MAX_ACTIVE_RUNS", "").strip()
        cap = parse_usd(monthly, "TASTELOOP_USER_MONTHLY_USD") if monthly else None
        if active and not (active.isdigit() and active.isascii()):
            raise LimitSettingError("TASTELOOP_USER_MAX_ACTIVE_RUNS must be a whole number")
        most = int(active) if active else DEFAULT_MAX_ACTIVE_RUNS
        return cls(cap, most or None)  # 0 runs means "no limit"

    def cap_for(self, user: User) -> float | None:
        return user.monthly_cap_usd if user.monthly_cap_usd is not None else self.monthly_usd


def month_of(moment: datetime | None = None) -> str:
    return (moment or utcnow()).astimezone(UTC).strftime("%Y-%m")


def next_month_start(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)


def usd(amount: float) -> str:
    """Dollars as people read them: cents, or more digits for the fractions of a cent that a
    single model call costs."""
    amount = abs(amount) if amount == 0 else amount  # never "$-0.00"
    if amount == 0 or amount >= 1:
        return f"${amount:,.2f}"
    return "$" + f"{amount:.4f}".rstrip("0").rstrip(".")


def _ensure_month(session: Session, key: str, month: str) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(SpendingMonth)
        .values(account_key=key, month=month, spent_usd=0.0, held_usd=0.0)
        .on_conflict_do_nothing(index_elements=["account_key", "month"])
    )


def _totals(session: Session, keys: list[str], month: str) -> dict[str, tuple[float, float]]:
    rows = session.execute(
        select(SpendingMonth.account_key, SpendingMonth.spent_usd, SpendingMonth.held_usd).where(
            SpendingMonth.month == month, SpendingMonth.account_key.in_(keys)
        )
    )
    return {key: (spent, held) for key, spent, held in rows}


def spent_this_month(session: Session, users: list[User]) -> dict[int, float]:
    """USD per user this month, from the ledger's totals."""
    totals = _totals(session, [u.spending_key for u in users], month_of())
    return {u.id: round(totals.get(u.spending_key, (0.0, 0.0))[0], 6) for u in users}


def active_runs(session: Session, user_ids: list[int] | None = None) -> dict[int, int]:
    """Runs extracting or generating, per user (every user, or those in `user_ids`)."""
    query = select(Run.user_id, func.count(Run.id)).where(Run.phase.in_(IN_FLIGHT))
    if user_ids is not None:
        query = query.where(Run.user_id.in_(user_ids))
    return {user_id: count for user_id, count in session.execute(query.group_by(Run.user_id))}


def _cap_reached(user: User, cap: float, spent: float) -> str:
    return (
        f"Your monthly spending limit of {usd(cap)} is reached ({usd(spent)} spent this month). "
        f"It resets on {next_month_start():%-d %B}; an admin can raise it."
    )


def over_cap(
    session: Session, user: User, limits: Limits | None = None, *, costs_money: bool = True
) -> str | None:
    """Why this person may not spend more this month, or None (always None for an engine that
    costs nothing, the offline one). What turns in flight hold counts as spent."""
    limits = limits or Limits.from_env()
    cap = limits.cap_for(user)
    if cap is None or not costs_money:
        return None
    spent, held = _totals(session, [user.spending_key], month_of()).get(
        user.spending_key, (0.0, 0.0)
    )
    if spent + held < cap:
        return None
    return _cap_reached(user, cap, spent)


def lock_account(session: Session, user: User) -> None:
    """Take this account's row lock until the caller's commit, so one person's starts are
    checked and committed one after another (a write: PostgreSQL locks the row, SQLite begins
    its write transaction)."""
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(spending_key=User.spending_key)
        .execution_options(synchronize_session=False)
    )


def in_flight(session: Session, user: User) -> int:
    """This person's runs extracting or generating, and library re-extractions under way."""
    return active_runs(session, [user.id]).get(user.id, 0) + reextractions_under_way(
        session, user.id
    )


def start_problem(
    session: Session,
    user: User,
    limits: Limits | None = None,
    *,
    costs_money: bool = True,
    starting: int = 1,
) -> str | None:
    """Why this person may not put another run (or re-extraction), or `starting` runs at once
    (a series), to work now, or None.

    Takes the account's lock first: the caller changes the run's phase and commits in the same
    transaction, so starts at the same moment cannot all count the same runs in flight."""
    limits = limits or Limits.from_env()
    lock_account(session, user)
    most = limits.max_active_runs
    busy = in_flight(session, user) if most is not None else 0
    if most is not None and busy >= most:
        work = "run or re-extraction" if most == 1 else "runs or re-extractions"
        return (
            f"You have {most} {work} in progress, the most allowed at once. "
            "Wait for one to finish, or stop one."
        )
    if most is not None and busy + starting > most:
        return (
            f"A series of {starting} would put {busy + starting} runs in progress, and at most "
            f"{most} are allowed at once ({busy} now). Make a shorter series, or wait for some "
            "to finish."
        )
    return over_cap(session, user, limits, costs_money=costs_money)


def hold_estimate(session: Session, key: str, kind: str) -> float:
    """What a turn of this kind holds: the most one has cost this account, or FIRST_HOLD_USD."""
    most = session.scalar(
        select(func.max(SpendingEntry.cost_usd)).where(
            SpendingEntry.account_key == key, SpendingEntry.kind == kind
        )
    )
    return round(float(most), 6) if most else FIRST_HOLD_USD


@dataclass(frozen=True)
class HoldResult:
    hold_id: int | None  # None: nothing is held (the engine is free)
    problem: str | None = None  # the cap is reached: the turn must not call the model


def take_hold(
    session: Session, user: User, kind: str, limits: Limits | None = None, *, costs_money: bool
) -> HoldResult:
    """Hold this turn's estimate against the cap, atomically; or say why the turn must wait.

    The caller commits before making any call, so a concurrent turn sees the hold."""
    if not costs_money:
        return HoldResult(None)
    limits = limits or Limits.from_env()
    cap = limits.cap_for(user)
    key, month = user.spending_key, month_of()
    amount = hold_estimate(session, key, kind)
    _ensure_month(session, key, month)
    condition = [SpendingMonth.account_key == key, SpendingMonth.month == month]
    if cap is not None:
        condition.append(SpendingMonth.spent_usd + SpendingMonth.held_usd + amount <= cap + 1e-9)
    taken = session.execute(
        update(SpendingMonth)
        .where(*condition)
        .values(held_usd=SpendingMonth.held_usd + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        spent = _totals(session, [key], month)[key][0]
        return HoldResult(None, _cap_reached(user, cap or 0.0, spent))
    hold = SpendingHold(account_key=key, month=month, kind=kind, amount_usd=amount)
    session.add(hold)
    session.flush()
    return HoldResult(hold.id)


def settle(session: Session, hold_id: int | None, cost_usd: float, kind: str, key: str) -> None:
    """Record what a turn's calls cost, and let its hold go, in the caller's transaction (the one
    that stores the turn's work). Exactly once: a hold settled already changes nothing."""
    hold = session.get(SpendingHold, hold_id) if hold_id is not None else None
    if hold is not None:
        settled = session.execute(
            update(SpendingHold)
            .where(SpendingHold.id == hold.id, SpendingHold.settled_at.is_(None))
            .values(settled_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if settled != 1:
            return
    key = hold.account_key if hold is not None else key
    month = hold.month if hold is not None else month_of()
    released = hold.amount_usd if hold is not None else 0.0
    if cost_usd <= 0 and not released:
        return
    _ensure_month(session, key, month)
    session.execute(
        update(SpendingMonth)
        .where(SpendingMonth.account_key == key, SpendingMonth.month == month)
        .values(
            spent_usd=SpendingMonth.spent_usd + cost_usd,
            held_usd=func.max(SpendingMonth.held_usd - released, 0.0)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(SpendingMonth.held_usd - released, 0.0),
        )
        .execution_options(synchronize_session=False)
    )
    if cost_usd > 0:
        session.add(
            SpendingEntry(account_key=key, month=month, kind=kind, cost_usd=round(cost_usd, 6))
        )


def release_stale_holds(session: Session, older_than: timedelta = HOLD_LIFETIME) -> int:
    """Let go of holds whose worker was killed mid-turn (what it spent is not known; its
    iterations, if any were stored, are)."""
    stale = list(
        session.scalars(
            select(SpendingHold).where(
                SpendingHold.settled_at.is_(None), SpendingHold.created_at < utcnow() - older_than
            )
        )
    )
    for hold in stale:
        settle(session, hold.id, 0.0, hold.kind, hold.account_key)
    return len(stale)
