"""Accounts as the admin sees them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Run, User, new_secret
from store.runs import record_failure, stop_run
from store.spending import Limits, active_runs, parse_usd, spent_this_month, usd
from store.states import Phase, Stage


def user_rows(session: Session, users: list[User]) -> list[dict[str, Any]]:
    """What the accounts page shows of these accounts, one query per table for them all."""
    ids = [u.id for u in users]
    query = (
        select(Run.user_id, func.count(Run.id)).where(Run.user_id.in_(ids)).group_by(Run.user_id)
    )
    counts = {user_id: count for user_id, count in session.execute(query)}
    active = active_runs(session, ids)
    limits = Limits.from_env()
    spent = spent_this_month(session, users)
    return [
        {
            "user": u,
            "runs": counts.get(u.id, 0),
            "active": active.get(u.id, 0),
            "spent": spent.get(u.id, 0.0),
            "cap": limits.cap_for(u),
        }
        for u in users
    ]


def set_monthly_cap(user: User, raw: str) -> str:
    """An admin's cap for one person: dollars, or blank for the site default. Says what changed;
    raises ValueError with a message for the admin."""
    if not raw.strip():
        user.monthly_cap_usd = None
        return f"{user.email} follows the site's monthly limit again."
    user.monthly_cap_usd = parse_usd(raw, "The monthly limit")
    return f"{user.email} may spend {usd(user.monthly_cap_usd)} a month."


DISABLED_REASON = "The account is disabled; an administrator can enable it again."


def set_disabled(session: Session, user: User, disabled: bool) -> None:
    """Disabling stops the account's work at once (a generating run ends as stopped, an
    extraction is failed) and ends its sessions for good: enabling it again revives no cookie."""
    user.disabled = disabled
    if not disabled:
        return
    user.session_token = new_secret()
    for run in session.scalars(
        select(Run).where(
            Run.user_id == user.id, Run.phase.in_([Phase.GENERATING, Phase.EXTRACTING])
        )
    ):
        if run.phase == Phase.GENERATING:
            stop_run(session, run)
        else:
            record_failure(run, Stage.EXTRACT, DISABLED_REASON, retryable=True)
