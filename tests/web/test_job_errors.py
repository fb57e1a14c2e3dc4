"""What a person reads when a worker's step fails: words, never the machinery."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

from jobs.tasks import DATABASE_TROUBLE, _reason, _retryable
from store.db import get_database
from store.models import Phase
from tests.support.web import work
from tests.support.webflow import run_row, start_run


def test_a_database_error_is_never_shown_raw():
    raw = IntegrityError(
        "INSERT INTO iterations (run_id, prompt, image_sha) VALUES (?, ?, ?)",
        (7, "a private intent", "ab" * 32),
        Exception("FOREIGN KEY constraint failed"),
    )
    for exc in (raw, OperationalError("UPDATE runs SET ...", {}, Exception("database is locked"))):
        message = _reason(exc)
        assert message == DATABASE_TROUBLE
        assert "INSERT" not in message and "private intent" not in message
        assert _retryable(exc)


def test_other_failures_keep_their_own_words():
    assert _reason(ValueError("the image model refused the prompt")) == (
        "the image model refused the prompt"
    )


def test_a_run_whose_profile_cannot_be_read_fails_visibly_and_lets_go(
    browser, redis_conn, database_url
):
    """Before, the job raised before its lease was kept: the run stayed "generating", holding
    an in-flight slot, and was queued again every 15 s for good."""
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8")
    with get_database(database_url).session() as session:
        version = run_row(session, run_id).current_version
        version.data = {**version.data, "principles": []}
    work(redis_conn)
    with get_database(database_url).session() as session:
        run = run_row(session, run_id)
        assert run.phase == Phase.FAILED and not run.error_retryable
        assert "cannot be read" in run.error and run.lease_owner is None
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "cannot be read any more" in page
