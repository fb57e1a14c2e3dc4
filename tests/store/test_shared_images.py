"""Two people's runs can hold the same image (offline pictures are deterministic): deleting one
run while the other's turn stores that image must break neither."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from store.blobs import save_blob
from store.db import get_database
from store.deletion import delete_run
from store.models import Blob, Iteration, Phase, Run, User
from tests.conftest import TEST_DATABASE_URL
from tests.support.images import png_bytes
from tests.support.rows import iteration_row

IMAGE = png_bytes(color=(10, 120, 200))


def _two_runs(database_url: str) -> tuple[int, int]:
    with get_database(database_url).session() as session:
        users = [User(email=f"p{k}@example.com", password_hash="x") for k in range(2)]
        session.add_all(users)
        session.flush()
        runs = [Run(user_id=u.id, phase=Phase.GENERATING) for u in users]
        session.add_all(runs)
        session.flush()
        session.add(iteration_row(runs[0].id, save_blob(session, IMAGE)))
        return runs[0].id, runs[1].id


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="SQLite runs one writer at a time")
def test_a_deletion_and_a_turn_storing_the_same_image_both_succeed(database_url):
    doomed, turn = _two_runs(database_url)
    stored = threading.Event()

    def the_turn() -> None:
        with get_database(database_url).session() as session:
            sha = save_blob(session, IMAGE)  # already there: held until this commits
            stored.set()
            time.sleep(0.5)  # the deletion runs now, and must wait for this turn
            session.add(iteration_row(turn, sha))

    def the_deletion() -> None:
        assert stored.wait(10)
        with get_database(database_url).session() as session:
            delete_run(session, session.get(Run, doomed))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(the_turn), pool.submit(the_deletion)]:
            done.result(timeout=30)  # either failing raises here
    with get_database(database_url).session() as session:
        assert session.get(Run, doomed) is None
        kept = session.scalar(select(Iteration).where(Iteration.run_id == turn))
        assert kept is not None and session.get(Blob, kept.image_sha) is not None
