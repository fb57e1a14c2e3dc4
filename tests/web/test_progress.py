"""Progress that reads as progress (#31): the step the worker is in, what is left at most from
the run's own iterations, and working time that leaves out the wait at the gate."""

from datetime import UTC, datetime, timedelta

from jobs.progress import Announced, current_step, set_step
from store.db import get_database
from store.models import Gate, Iteration, Run
from tests.support.web import work
from tests.support.webflow import gate_id_on, run_number, run_row, start_run
from webapp.progress import duration, run_progress


class _Painter:
    def __init__(self, run_id):
        self.run_id, self.seen = run_id, []

    def generate(self, prompt):
        self.seen.append(current_step(self.run_id))
        return prompt


def test_the_worker_says_which_step_it_is_in(app, redis_conn):
    painter = _Painter(41)
    announced = Announced(painter, 41)
    assert announced.generate("a harbour") == "a harbour"
    assert painter.seen == ["painting"]
    set_step(41, None)
    assert current_step(41) is None


def test_the_page_shows_the_step_and_what_is_left_while_generating(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="3")
    set_step(run_number(database_url, run_id), "painting")
    page = browser.get(f"/runs/{run_id}/status").get_data(as_text=True)
    assert "Iteration 1 of 3: painting" in page
    assert "left (" not in page  # no estimate before the run's own first iteration
    set_step(run_number(database_url, run_id), "judging and writing the next prompt")
    changed = browser.get(f"/runs/{run_id}/status").get_data(as_text=True)
    assert "Iteration 1 of 3: judging" in changed  # a new step is news to a polling page


def test_working_time_leaves_out_the_wait_at_the_gate():
    started = Run(phase="generating", max_iterations=5, started_at=None)
    t0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    started.started_at = t0
    first = Iteration(index=0, generate_seconds=4.0, critique_seconds=1.0, created_at=t0)
    second = Iteration(index=1, generate_seconds=6.0, critique_seconds=1.0, created_at=t0)
    gate = Gate(decided_at=t0 + timedelta(hours=2))  # the person decided two hours later
    progress = run_progress(started, [first, second], [gate], "painting")
    assert progress.worked_s == 12.0
    assert progress.since == (t0 + timedelta(hours=2)).timestamp()  # counting resumes there
    assert progress.per_iteration_s == 6.0 and progress.left_s == 18.0
    started.phase = "done"
    finished = run_progress(started, [first, second], [gate], None)
    assert finished.since is None and finished.left_s is None and finished.worked_s == 12.0
    assert duration(12.0) == "12 s" and duration(83) == "1:23"


def test_a_finished_run_shows_its_working_time_not_zero(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="0.1", max_iterations="2")
    work(redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    browser.post(f"/runs/{run_id}/gate", {"gate_id": gate_id_on(page), "decision": "approve"})
    with get_database(database_url).sessions() as session:
        its = session.query(Iteration).filter_by(run_id=run_row(session, run_id).id).all()
        expected = duration(sum(i.generate_seconds + i.critique_seconds for i in its))
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f"working time <span>{expected}</span>" in page and "data-elapsed-since" not in page
