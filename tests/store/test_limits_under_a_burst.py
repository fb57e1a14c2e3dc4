"""The in-flight limit under a burst: starts at the same moment, each in its own connection,
are checked and committed one after another (the account's lock), so none counts the same runs."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import func, select

from store.db import get_database
from store.models import LibraryProfile, Phase, Run, User, utcnow
from store.runs import record_extraction
from store.spending import Limits, start_problem
from store.uploads import create_run
from tests.support.profiles import extracted
from tests.support.refsets import load_set

LIMITS = Limits(monthly_usd=None, max_active_runs=3)


def _runs_at_confirm(database_url: str, count: int) -> tuple[int, list[int]]:
    refs = load_set("van-gogh-swirling-landscapes")[:3]
    with get_database(database_url).session() as session:
        user = User(email="burst@example.com", password_hash="x")
        session.add(user)
        session.flush()
        ids = []
        for _ in range(count):
            run = create_run(session, user, [(f"r{i}.png", d) for i, d in enumerate(refs)], "x", {})
            session.flush()
            record_extraction(session, run, extracted(refs), ())
            session.flush()
            ids.append(run.id)
        return user.id, ids


def _start(database_url: str, user_id: int, run_id: int, barrier: threading.Barrier) -> None:
    barrier.wait()
    with get_database(database_url).session() as session:
        user = session.get(User, user_id)
        if start_problem(session, user, LIMITS, costs_money=False) is None:
            time.sleep(0.02)  # the window a count-then-commit leaves open
            session.get(Run, run_id).phase = Phase.GENERATING


def _in_flight(database_url: str) -> int:
    with get_database(database_url).session() as session:
        return session.scalar(select(func.count(Run.id)).where(Run.phase == Phase.GENERATING))


def test_a_burst_of_starts_leaves_at_most_the_limit_in_flight(database_url):
    user_id, run_ids = _runs_at_confirm(database_url, 12)
    barrier = threading.Barrier(len(run_ids))
    threads = [
        threading.Thread(target=_start, args=(database_url, user_id, run_id, barrier))
        for run_id in run_ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert _in_flight(database_url) == LIMITS.max_active_runs


def test_re_extractions_under_way_count_as_work_in_flight(database_url):
    user_id, _ = _runs_at_confirm(database_url, 1)
    with get_database(database_url).session() as session:
        for k in range(3):
            session.add(
                LibraryProfile(user_id=user_id, name=f"t{k}", reextract_requested_at=utcnow())
            )
    with get_database(database_url).session() as session:
        problem = start_problem(session, session.get(User, user_id), LIMITS, costs_money=False)
        assert problem and "3 runs or re-extractions in progress" in problem
        stale = utcnow() - timedelta(hours=1)  # a request nobody picked up does not count
        for entry in session.scalars(select(LibraryProfile)):
            entry.reextract_requested_at = stale
        session.flush()
        assert start_problem(session, session.get(User, user_id), LIMITS, costs_money=False) is None
