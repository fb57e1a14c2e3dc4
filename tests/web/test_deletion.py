"""People can delete what they made; admins can disable an account. Nothing of theirs stays."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store.blobs import run_blobs
from store.db import get_database
from store.models import (
    Blob,
    Gate,
    Iteration,
    LibraryProfile,
    ProfileVersion,
    ReferenceImage,
    Run,
    User,
)
from tests.support.web import register_admin, work
from tests.support.webflow import document, gate_id_on, import_file, run_row, start_run

ROW_TABLES = (Iteration, Gate, ProfileVersion, ReferenceImage)


def _count(session, table, **where) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(getattr(table, column) == value)
    return session.scalar(query)


def _finished_run(browser, redis_conn, intent: str) -> int:
    run_id, _ = start_run(
        browser, redis_conn, intent=intent, max_iterations="2", gate_low="0.1", threshold="9.9"
    )
    work(redis_conn)  # stops at a gate: a gate row to delete too
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    browser.post(f"/runs/{run_id}/gate", {"gate_id": gate_id_on(page), "decision": "approve"})
    return run_id


def test_deleting_a_run_removes_its_rows_and_only_its_own_images(
    browser, other_browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    keep = _finished_run(browser, redis_conn, "a harbour at dusk")
    gone = _finished_run(browser, redis_conn, "a lighthouse in fog")  # same references
    db = get_database(database_url)
    with db.session() as session:
        keep_id, gone_id = run_row(session, keep).id, run_row(session, gone).id
        shared = run_blobs(session, keep_id) & run_blobs(session, gone_id)
        own = run_blobs(session, gone_id) - run_blobs(session, keep_id)
        assert shared and own  # the references are shared, the paintings are not
    other_browser.register("eve@example.com")
    assert other_browser.post(f"/runs/{gone}/delete").status_code == 404
    response = browser.post(f"/runs/{gone}/delete")
    assert response.status_code == 303
    with db.session() as session:
        assert run_row(session, gone) is None
        for table in ROW_TABLES:
            assert _count(session, table, run_id=gone_id) == 0, table.__name__
        assert all(session.get(Blob, sha) is None for sha in own)
        assert all(session.get(Blob, sha) is not None for sha in shared)
        assert _count(session, Iteration, run_id=keep_id) >= 1
    assert browser.get(f"/runs/{gone}").status_code == 404
    assert browser.get(f"/runs/{keep}").status_code == 200


def test_deleting_a_library_profile_removes_images_only_it_used(browser, database_url):
    browser.register("ada@example.com")
    response = import_file(browser, document())  # embeds three reference images
    profile_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    with get_database(database_url).session() as session:
        shas = [r.blob_sha for r in session.get(LibraryProfile, profile_id).references]
    assert len(shas) == 3
    browser.post(f"/library/{profile_id}/delete")
    with get_database(database_url).session() as session:
        assert all(session.get(Blob, sha) is None for sha in shas)


def test_deleting_an_account_needs_the_password_and_leaves_nothing_of_theirs(
    browser, other_browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id = _finished_run(browser, redis_conn, "a harbour at dusk")
    import_file(browser, document())
    other_browser.register("bob@example.com")
    bobs_run, _ = start_run(other_browser, redis_conn, max_iterations="1")  # same references
    db = get_database(database_url)
    with db.session() as session:
        ada = session.scalar(select(User).where(User.email == "ada@example.com")).id
        run_number = run_row(session, run_id).id
        adas_blobs = run_blobs(session, run_number)
        bobs_blobs = run_blobs(session, run_row(session, bobs_run).id)
    browser.get("/account/")
    refused = browser.post("/account/delete", {"password": "wrong"})
    assert refused.status_code == 400 and b"Enter your password" in refused.data
    assert browser.post("/account/delete", {"password": "correct horse battery"}).status_code == 302
    with db.session() as session:
        assert session.get(User, ada) is None
        assert _count(session, Run, user_id=ada) == 0
        assert _count(session, LibraryProfile, user_id=ada) == 0
        assert _count(session, ProfileVersion, run_id=run_number) == 0
        for sha in adas_blobs - bobs_blobs:
            assert session.get(Blob, sha) is None
        for sha in bobs_blobs:
            assert session.get(Blob, sha) is not None  # bob's references are his too
    assert browser.get("/history").status_code == 302  # logged out
    assert browser.login("ada@example.com").status_code == 400


def test_an_admin_disables_and_enables_an_account(browser, other_browser, app, database_url):
    browser.register("ada@example.com")
    register_admin(app, other_browser, "root@example.com")
    assert browser.get("/admin/users").status_code == 403
    page = other_browser.get("/admin/users").get_data(as_text=True)
    assert "ada@example.com" in page
    with get_database(database_url).session() as session:
        ada = session.scalar(select(User).where(User.email == "ada@example.com")).id
    other_browser.post(f"/admin/users/{ada}/disable", {"disabled": "1"})
    assert browser.get("/history").status_code == 302  # the open session ends
    refused = browser.login("ada@example.com")
    assert refused.status_code == 403 and b"disabled" in refused.data
    other_browser.post(f"/admin/users/{ada}/disable", {"disabled": "0"})
    assert browser.login("ada@example.com").status_code == 302


def test_a_deleted_accounts_text_is_gone_from_the_sqlite_files(browser, redis_conn, database_url):
    """secure_delete overwrites deleted rows, and the write-ahead log is emptied after an account
    is deleted, so the intent (and every other word of theirs) is nowhere in the files."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's files are the operator's (VACUUM)")
    browser.register("ada@example.com")
    start_run(browser, redis_conn, intent="a very private lighthouse at noon", max_iterations="1")
    work(redis_conn)
    browser.post("/account/delete", {"password": "correct horse battery"})
    path = database_url.removeprefix("sqlite:///")
    for suffix in ("", "-wal"):
        try:
            with open(path + suffix, "rb") as handle:
                assert b"very private lighthouse" not in handle.read(), suffix
        except FileNotFoundError:
            pass
