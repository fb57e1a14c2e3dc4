"""Accounts as the admin sees them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Run, User


def user_rows(session: Session) -> list[dict[str, Any]]:
    query = select(Run.user_id, func.count(Run.id)).group_by(Run.user_id)
    counts = {user_id: count for user_id, count in session.execute(query)}
    users = session.scalars(select(User).order_by(User.created_at, User.id))
    return [{"user": u, "runs": counts.get(u.id, 0)} for u in users]
