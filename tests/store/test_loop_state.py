"""A run's loop state read back from the database, as the worker resumes it."""

from __future__ import annotations

from store.blobs import save_blob
from store.db import get_database
from store.models import Phase, Run, User
from store.runs import loop_state
from tests.support.images import png_bytes
from tests.support.rows import iteration_row


def test_a_resumed_run_knows_how_often_its_prompt_was_just_painted(database_url):
    """So the loop paints a prompt it has painted before with new seeds after a pause too."""
    with get_database(database_url).session() as session:
        user = User(email="p@example.com", password_hash="x")
        session.add(user)
        session.flush()
        run = Run(user_id=user.id, phase=Phase.GENERATING, current_prompt="p", next_index=4)
        session.add(run)
        session.flush()
        sha = save_blob(session, png_bytes())
        for index, prompt in enumerate(["p", "a", "p", "p"]):
            session.add(iteration_row(run.id, sha, index, prompt))
        session.flush()
        assert loop_state(session, run).painted_before == 2
        run.current_prompt = "revised"
        assert loop_state(session, run).painted_before == 0
