"""Stopping a run, and the spending limits: a monthly cap per person (an admin may set their
own) and a most-runs-in-flight limit."""

from __future__ import annotations

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from jobs.queue import queue
from store.db import get_database
from store.models import Iteration, Phase, Run, User
from tests.support.web import register_admin, work
from tests.support.webflow import run_id_from, run_row, start_run, upload


def row(database_url, run_id) -> Run:
    with get_database(database_url).sessions() as session:
        run = run_row(session, run_id)
        session.expunge_all()
        return run


def iterations(database_url, run_id) -> int:
    with get_database(database_url).sessions() as session:
        query = select(func.count(Iteration.id)).where(
            Iteration.run_id == run_row(session, run_id).id
        )
        return session.scalar(query)


def one_turn(redis_conn):
    SimpleWorker([queue(redis_conn)], connection=redis_conn).work(burst=True, max_jobs=1)


# stop -----------------------------------------------------------------------------------------
def test_stop_keeps_the_iterations_and_the_best_image_and_the_queued_turn_does_nothing(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="4")
    one_turn(redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f'action="/runs/{run_id}/stop"' in page
    stopped = browser.post(f"/runs/{run_id}/stop", follow_redirects=True)
    assert "Stopped." in stopped.get_data(as_text=True)
    run = row(database_url, run_id)
    assert run.phase == Phase.DONE and run.outcome == "stopped"
    assert run.final_iteration_id == run.best_iteration_id is not None
    work(redis_conn)  # the run's next turn was already queued: it finds the run stopped
    assert iterations(database_url, run_id) == 1
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "<h2>Stopped</h2>" in page and "Download image" in page
    assert "stopped" in browser.get("/history").get_data(as_text=True)


def test_stopping_twice_or_after_the_end_is_harmless_and_says_so(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="2")
    browser.post(f"/runs/{run_id}/stop")
    again = browser.post(f"/runs/{run_id}/stop", follow_redirects=True)
    assert "already stopped; nothing changed" in again.get_data(as_text=True)
    other, _ = start_run(browser, redis_conn, threshold="1.0", gate_low="0.5")
    work(redis_conn)
    late = browser.post(f"/runs/{other}/stop", follow_redirects=True)
    assert "already finished; nothing changed" in late.get_data(as_text=True)
    assert row(database_url, other).outcome == "converged"


def test_an_admin_may_stop_anyones_run_and_a_stranger_may_not(
    app, browser, other_browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8")
    other_browser.register("eve@example.com")
    assert other_browser.post(f"/runs/{run_id}/stop").status_code == 404
    assert row(database_url, run_id).phase == Phase.GENERATING
    admin = type(browser)(app.test_client())
    register_admin(app, admin, "root@example.com")
    admin.post(f"/runs/{run_id}/stop")
    assert row(database_url, run_id).outcome == "stopped"
    assert "stopped" in admin.get("/admin/runs").get_data(as_text=True)
    assert "ada@example.com" in admin.get("/admin/runs").get_data(as_text=True)


def test_a_stop_needs_the_csrf_token(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8")
    assert browser.post(f"/runs/{run_id}/stop", csrf=False).status_code == 400
    assert row(database_url, run_id).phase == Phase.GENERATING


# limits ---------------------------------------------------------------------------------------
def test_runs_in_flight_are_limited_per_person(browser, redis_conn, database_url, monkeypatch):
    monkeypatch.setenv("TASTELOOP_USER_MAX_ACTIVE_RUNS", "1")
    browser.register("ada@example.com")
    run_id_from(upload(browser))  # extracting: one in flight
    refused = upload(browser)
    assert refused.status_code == 403
    assert "1 run or re-extraction in progress, the most allowed at once" in (
        refused.get_data(as_text=True)
    )
    with get_database(database_url).sessions() as session:
        assert session.scalar(select(func.count(Run.id))) == 1  # nothing half-stored
    work(redis_conn)  # the extraction ends: the run waits at confirm, not in flight
    assert upload(browser).status_code == 302


def test_the_offline_engine_costs_nothing_so_a_zero_cap_does_not_stop_it(
    browser, redis_conn, database_url, monkeypatch
):
    monkeypatch.setenv("TASTELOOP_USER_MONTHLY_USD", "0")
    browser.register("ada@example.com")
    run_id, response = start_run(browser, redis_conn, threshold="1.0", gate_low="0.5")
    assert response.status_code == 302
    work(redis_conn)
    assert row(database_url, run_id).outcome == "converged"
    assert "Spent this month: <strong>$0.00</strong> of your $0.00 monthly limit" in browser.get(
        "/history"
    ).get_data(as_text=True)


@pytest.mark.usefixtures("gateway")
def test_the_monthly_cap_pauses_a_run_and_an_admin_can_raise_it(
    app,
    browser,
    redis_conn,
    database_url,  # noqa: F811 - the gateway fixture
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="3")
    one_turn(redis_conn)  # iteration 1 costs money at the test gateway
    history = browser.get("/history").get_data(as_text=True)
    assert "Spent this month: <strong>$0.0" in history and "(no monthly limit)" in history
    admin = type(browser)(app.test_client())
    register_admin(app, admin, "root@example.com")
    with get_database(database_url).sessions() as session:
        ada = session.scalar(select(User).where(User.email == "ada@example.com"))
    admin.post(f"/admin/users/{ada.id}/monthly-cap", {"cap": "0.01"})
    work(redis_conn)  # the next turn finds the cap reached: it pauses before any call
    run = row(database_url, run_id)
    assert run.phase == Phase.FAILED and run.error_retryable
    assert "monthly spending limit of $0.01 is reached" in run.error
    assert iterations(database_url, run_id) == 1
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "monthly spending limit" in page and "Retry" in page
    # a new run is refused at the start, naming the limit
    refused = upload(browser)
    assert refused.status_code == 403 and "monthly spending limit" in refused.get_data(as_text=True)
    users = admin.get("/admin/users").get_data(as_text=True)
    assert "ada@example.com" in users and 'value="0.00"' not in users
    bad = admin.post(f"/admin/users/{ada.id}/monthly-cap", {"cap": "lots"}, follow_redirects=True)
    assert "must be a number of dollars" in bad.get_data(as_text=True)
    admin.post(f"/admin/users/{ada.id}/monthly-cap", {"cap": "25"})
    browser.post(f"/runs/{run_id}/retry")
    work(redis_conn)
    assert row(database_url, run_id).phase == Phase.DONE
    assert iterations(database_url, run_id) == 3


def test_a_bad_limit_setting_stops_start_up_with_one_sentence(monkeypatch):
    from webapp.serve import StartupError, check_engine

    monkeypatch.setenv("TASTELOOP_USER_MONTHLY_USD", "ten")
    with pytest.raises(StartupError, match="TASTELOOP_USER_MONTHLY_USD must be a number"):
        check_engine()


def test_a_stop_that_lands_after_the_last_check_keeps_the_turns_work_out(
    browser, redis_conn, database_url, monkeypatch
):
    """The race the red-team reproduced: Stop commits after the worker's last look at the run
    and before it stores the iteration. The store is conditional on the run still being the
    worker's and generating, so nothing is written and the stopped run stays stopped (before,
    the iteration was written and a gate verdict brought the run back as gated)."""
    import jobs.tasks as tasks
    from store.runs import stop_run

    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="1.0", max_iterations="3")
    stopped = {"done": False}

    def blind_then_stop(rid: int, owner: str) -> bool:
        if not stopped["done"]:
            stopped["done"] = True
            with get_database(database_url).session() as session:
                stop_run(session, session.get(Run, rid))
        return True  # the worker does not notice: the stop landed after its check

    monkeypatch.setattr(tasks, "still_ours", blind_then_stop)
    one_turn(redis_conn)
    run = row(database_url, run_id)
    assert stopped["done"] and run.phase == Phase.DONE and run.outcome == "stopped"
    assert iterations(database_url, run_id) == 0
    with get_database(database_url).sessions() as session:
        from store.models import Gate

        assert (
            session.scalar(
                select(func.count(Gate.id)).where(Gate.run_id == run_row(session, run_id).id)
            )
            == 0
        )
