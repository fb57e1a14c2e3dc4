"""What a person reads when a worker's step fails: words, never the machinery."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

from jobs.tasks import DATABASE_TROUBLE, _reason, _retryable


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
