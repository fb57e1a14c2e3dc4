"""Accounts as the admin sees them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Run, User
from store.spending import Limits, active_runs, spent_this_month


def user_rows(session: Session) -> list[dict[str, Any]]:
    query = select(Run.user_id, func.count(Run.id)).group_by(Run.user_id)
    counts = {user_id: count for user_id, count in session.execute(query)}
    active = active_runs(session)
    spent = spent_this_month(session)
    limits = Limits.from_env()
    users = session.scalars(select(User).order_by(User.created_at, User.id))
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
    raw = raw.strip().lstrip("$")
    if not raw:
        user.monthly_cap_usd = None
        return f"{user.email} follows the site's monthly limit again."
    try:
        cap = float(raw)
    except ValueError:
        raise ValueError("The monthly limit must be a number of dollars, or blank.") from None
    if not 0 <= cap <= 1_000_000 or cap != cap:
        raise ValueError("The monthly limit must be between $0 and $1,000,000.")
    user.monthly_cap_usd = round(cap, 2)
    return f"{user.email} may spend ${cap:.2f} a month."
