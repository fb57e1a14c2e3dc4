"""Many people at once: runs take turns one iteration at a time, a waiting run says where it
waits, and one worker process advances several runs at once (one per thread)."""

from __future__ import annotations

from sqlalchemy import select

from store.db import get_database
from store.models import Iteration, Run
from tests.support.web import Browser, work
from tests.support.webflow import confirm, run_id_from, run_number, run_row, upload


def people(app, count, first=0):
    browsers = []
    for k in range(first, first + count):
        browser = Browser(app.test_client())
        browser.register(f"person{k}@example.com")
        browsers.append(browser)
    return browsers


def confirmed_runs(app, redis_conn, count, first=0, **settings):
    """`count` people upload, their extractions run, then each confirms in turn."""
    browsers = people(app, count, first)
    run_ids = [run_id_from(upload(b)) for b in browsers]
    work(redis_conn)
    for browser, run_id in zip(browsers, run_ids, strict=True):
        confirm(browser, run_id, threshold="9.9", gate_low="9.8", **settings)
    return browsers, run_ids


def test_runs_take_turns_one_iteration_at_a_time(app, redis_conn, database_url):
    _, run_ids = confirmed_runs(app, redis_conn, 3, max_iterations="3")
    work(redis_conn)
    with get_database(database_url).session() as session:
        order = session.execute(
            select(Run.public_id, Iteration.index)
            .join_from(Iteration, Run, Iteration.run_id == Run.id)
            .order_by(Iteration.id)
        )
        order = [tuple(row) for row in order]
    a, b, c = run_ids
    assert order == [(a, 0), (b, 0), (c, 0), (a, 1), (b, 1), (c, 1), (a, 2), (b, 2), (c, 2)]


def test_a_run_started_behind_others_gets_its_first_image_before_their_later_ones(
    app, redis_conn, database_url
):
    from rq import SimpleWorker

    from jobs.queue import queue

    browsers = people(app, 4)
    run_ids = [run_id_from(upload(b)) for b in browsers]
    work(redis_conn)  # every extraction
    *early, late = run_ids
    for browser, run_id in zip(browsers[:3], early, strict=True):
        confirm(browser, run_id, threshold="9.9", gate_low="9.8", max_iterations="3")
    # the early runs have each had a turn and are queued again when the late one starts
    SimpleWorker([queue(redis_conn)], connection=redis_conn).work(burst=True, max_jobs=3)
    confirm(browsers[3], late, threshold="9.9", gate_low="9.8", max_iterations="3")
    work(redis_conn)
    with get_database(database_url).session() as session:
        order = [
            tuple(r)
            for r in session.execute(
                select(Run.public_id, Iteration.index)
                .join_from(Iteration, Run, Iteration.run_id == Run.id)
                .order_by(Iteration.id)
            )
        ]
    assert order[:3] == [(run, 0) for run in early]
    late_first = order.index((late, 0))
    # after one more turn of each early run at most (they were queued first), never after two
    assert all(order.index((run, 2)) > late_first for run in early)


def test_a_waiting_run_says_how_many_runs_are_ahead(app, redis_conn):
    browsers, run_ids = confirmed_runs(app, redis_conn, 3, max_iterations="2")
    first = browsers[0].get(f"/runs/{run_ids[0]}/status").get_data(as_text=True)
    last = browsers[2].get(f"/runs/{run_ids[2]}/status").get_data(as_text=True)
    assert "waiting: yours is next" in first
    assert "waiting: 2 runs ahead of yours" in last
    work(redis_conn)
    done = browsers[2].get(f"/runs/{run_ids[2]}/status").get_data(as_text=True)
    assert "waiting:" not in done


def test_a_library_re_extraction_ahead_is_not_counted_as_a_run(app, redis_conn, database_url):
    from jobs.queue import enqueue_for, enqueue_reextract, queue
    from store.models import Phase

    browsers, run_ids = confirmed_runs(app, redis_conn, 1, max_iterations="2")
    queue(redis_conn).empty()  # the run's turn goes again to the back, behind a re-extraction
    enqueue_reextract(12345, conn=redis_conn)
    enqueue_for(run_number(database_url, run_ids[0]), Phase.GENERATING, conn=redis_conn)
    page = browsers[0].get(f"/runs/{run_ids[0]}/status").get_data(as_text=True)
    assert "waiting: 1 library re-extraction ahead of yours" in page


def test_a_turn_lost_with_a_killed_worker_is_queued_again(app, redis_conn, database_url):
    """A worker killed after taking a run's job but before claiming the run leaves no lease and
    no job: the sweeper queues the run again; a run waiting its turn in the queue is left alone."""
    from datetime import timedelta

    from sqlalchemy import update

    from jobs.queue import queue, queued_run_ids
    from jobs.sweeper import requeue_abandoned
    from store.models import Run, utcnow

    _, (lost, waiting) = confirmed_runs(app, redis_conn, 2, max_iterations="2")
    queue(redis_conn).remove(queue(redis_conn).get_job_ids()[0])  # lost's job died unseen
    long_ago = utcnow() - timedelta(minutes=5)
    with get_database(database_url).session() as session:
        session.execute(update(Run).values(updated_at=long_ago))
    lost, waiting = run_number(database_url, lost), run_number(database_url, waiting)
    assert queued_run_ids(redis_conn) == {waiting}
    assert requeue_abandoned() == [lost]
    assert queued_run_ids(redis_conn) == {lost, waiting}


def test_a_poll_that_finds_nothing_new_answers_204_and_renders_nothing(app, redis_conn):
    import re

    browsers, (run_id,) = confirmed_runs(app, redis_conn, 1, max_iterations="2")
    page = browsers[0].get(f"/runs/{run_id}").get_data(as_text=True)
    poll_url = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "v=" in poll_url
    unchanged = browsers[0].get(poll_url)
    assert unchanged.status_code == 204 and unchanged.get_data() == b""
    work(redis_conn)  # the run moves on: the same poll now gets the new state, and stops
    changed = browsers[0].get(poll_url)
    assert changed.status_code == 286 and "Best of 2" in changed.get_data(as_text=True)


def test_the_sweeper_leaves_a_turn_waiting_for_its_retry_and_gives_up_after_bounded_tries(
    app, redis_conn, database_url
):
    """A turn RQ will retry waits in the scheduled registry, not the queue: it is not queued a
    second time. A run that needs queueing again and again, its turns never finishing, is
    failed with a message after MAX_REQUEUES, instead of queued every 15 s for good."""
    from datetime import timedelta

    from sqlalchemy import update

    from jobs.queue import MAX_REQUEUES, queue
    from jobs.sweeper import requeue_abandoned
    from store.models import Phase, Run, utcnow

    browsers, (run_id,) = confirmed_runs(app, redis_conn, 1, max_iterations="2")
    q = queue(redis_conn)
    (job_id,) = q.get_job_ids()
    job = q.fetch_job(job_id)
    q.remove(job_id)
    q.scheduled_job_registry.schedule(job, utcnow() + timedelta(seconds=60))

    def quiet() -> None:
        with get_database(database_url).session() as session:
            session.execute(update(Run).values(updated_at=utcnow() - timedelta(minutes=5)))

    quiet()
    assert requeue_abandoned() == []  # its retry is scheduled
    q.scheduled_job_registry.remove(job)
    for _ in range(MAX_REQUEUES):
        quiet()
        assert requeue_abandoned() == [run_number(database_url, run_id)]
        q.empty()  # each turn dies unseen
    quiet()
    assert requeue_abandoned() == []
    with get_database(database_url).session() as session:
        run = run_row(session, run_id)
        assert run.phase == Phase.FAILED and run.error_retryable
        assert "could not move this run on" in run.error
    browsers[0].post(f"/runs/{run_id}/retry")  # a person's Retry starts the count again
    quiet()
    q.empty()
    assert requeue_abandoned() == [run_number(database_url, run_id)]
