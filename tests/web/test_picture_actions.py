"""What a person can do with a picture of a finished run: use this one."""

import re

from sqlalchemy import select

from store.db import get_database
from store.models import Blob, Iteration, Run
from tests.support.web import Browser, register_admin, work
from tests.support.webflow import start_run


def _finished_run(browser, redis_conn, database_url, iterations="3"):
    browser.register("ada@example.com")
    run_id, _ = start_run(
        browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations=iterations
    )
    work(redis_conn)
    with get_database(database_url).sessions() as session:
        run = session.get(Run, run_id)
        assert run.outcome == "max_iterations"
        shas = [it.image_sha for it in run.iterations]
        scores = [it.score for it in run.iterations]
        loop_index = next(it.index for it in run.iterations if it.id == run.final_iteration_id)
    return run_id, shas, scores, loop_index


def test_use_this_one_makes_another_iteration_the_result_and_history_says_so(
    browser, redis_conn, database_url
):
    run_id, shas, scores, loop_index = _finished_run(browser, redis_conn, database_url)
    other = next(k for k in range(len(shas)) if k != loop_index and shas[k] != shas[loop_index])
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert page.count("Use this one</button>") == len(shas) - 1  # every iteration but the result
    assert "your choice" not in page

    response = browser.post(f"/runs/{run_id}/result", {"iteration": str(other + 1)})
    assert response.status_code == 303
    with get_database(database_url).sessions() as session:
        run = session.get(Run, run_id)
        chosen = session.get(Iteration, run.chosen_iteration_id)
        assert chosen.index == other
        assert run.final_iteration_id != run.chosen_iteration_id  # the loop's result is kept
        assert run.outcome == "max_iterations"
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f"Iteration {other + 1} is now this run&#39;s result, your choice." in page
    assert "your choice</strong>" in page
    assert "the loop's result was" in page.replace("&#39;", "'")
    assert re.search(rf'id="iteration-{other + 1}">.*?The result, your choice', page, re.S)
    assert browser.get(f"/runs/{run_id}/download/image").data == _blob(database_url, shas[other])
    history = browser.get("/history").get_data(as_text=True)
    assert "result chosen by you" in history and f"{scores[other]:.1f}" in history
    assert shas[other] in history and shas[loop_index] not in history


def test_only_the_owner_chooses_and_only_on_a_finished_run(
    browser, other_browser, redis_conn, database_url, app
):
    run_id, shas, _, loop_index = _finished_run(browser, redis_conn, database_url)
    other_browser.register("eve@example.com")
    assert other_browser.post(f"/runs/{run_id}/result", {"iteration": "1"}).status_code == 404
    assert browser.post(f"/runs/{run_id}/result", {"iteration": "x"}).status_code == 400
    browser.post(f"/runs/{run_id}/result", {"iteration": "9"})
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "This run has no such iteration; nothing changed." in page

    admin = Browser(app.test_client())
    register_admin(app, admin, "root@example.com")
    assert admin.post(f"/runs/{run_id}/result", {"iteration": "1"}).status_code == 404
    with get_database(database_url).sessions() as session:
        assert session.get(Run, run_id).chosen_iteration_id is None

    # a run still working has no result to choose
    second, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8")
    browser.post(f"/runs/{second}/result", {"iteration": "1"})
    with get_database(database_url).sessions() as session:
        assert session.get(Run, second).chosen_iteration_id is None
    page = browser.get(f"/runs/{second}").get_data(as_text=True)
    assert "Use this one" not in page


def test_a_run_with_a_chosen_result_can_be_deleted(browser, redis_conn, database_url):
    run_id, _, _, loop_index = _finished_run(browser, redis_conn, database_url, iterations="2")
    browser.post(f"/runs/{run_id}/result", {"iteration": str(2 - loop_index)})
    assert browser.post(f"/runs/{run_id}/delete").status_code == 303
    with get_database(database_url).sessions() as session:
        assert session.get(Run, run_id) is None
        assert session.scalar(select(Iteration.id).where(Iteration.run_id == run_id)) is None


def _blob(database_url, sha):
    with get_database(database_url).sessions() as session:
        return session.get(Blob, sha).data
