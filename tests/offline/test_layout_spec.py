"""The run's vocabulary is one set of enums used by every layer, templates included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from jobs.queue import queue
from store.db import get_database
from store.models import Run, User
from store.runs import record_failure
from store.states import WORKING_PHASES, Outcome, Phase, Stage
from tasteloop.domain.run_settings import MAX_ITERATIONS, LoopSettings
from tests.support.webflow import run_id_from, run_row, start_run, upload

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# a comparison of phase, failed stage or outcome against a quoted literal, in any template
RAW_COMPARISON = re.compile(
    r"(phase|failed_stage|outcome)\s*(==|!=|\bin\b|\bnot in\b)\s*[\(\[]?\s*['\"]"
)


def test_templates_compare_no_raw_phase_stage_or_outcome_strings():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {line.strip()}"
        for path in TEMPLATES.rglob("*.html")
        for line in path.read_text().splitlines()
        if RAW_COMPARISON.search(line)
    ]
    assert offenders == []


def test_the_pattern_would_catch_a_raw_comparison():
    assert RAW_COMPARISON.search("{% if run.phase == 'done' %}")
    assert RAW_COMPARISON.search("{% if run.phase in ('extracting', 'generating') %}")
    assert not RAW_COMPARISON.search("{% if run.phase == Phase.DONE %}")


def test_columns_read_back_as_vocabulary_members(env, database_url):
    db = get_database(database_url)
    with db.session() as session:
        user = User(email="v@example.com", password_hash="x")
        session.add(user)
        session.flush()
        run = Run(user_id=user.id, phase=Phase.GENERATING)
        session.add(run)
        session.flush()
        record_failure(run, Stage.GENERATE, "boom", retryable=True)
        run_id = run.id
    with db.session() as session:
        stored = session.execute(
            text("SELECT phase, failed_stage FROM runs WHERE id = :id"), {"id": run_id}
        ).one()
        assert tuple(stored) == ("failed", "generate")  # the database keeps plain strings
        run = session.get(Run, run_id)
        assert run.phase is Phase.FAILED and run.failed_stage is Stage.GENERATE
        assert not run.phase.working and run.phase.past_confirm


def test_stage_and_phase_map_both_ways():
    for stage in Stage:
        assert Stage.of(stage.phase) is stage
    assert {p for p in Phase if p.working} == set(WORKING_PHASES)
    assert Outcome("max_iterations") is Outcome.MAX_ITERATIONS


def test_one_iteration_bound_for_form_and_core(browser, redis_conn):
    with pytest.raises(ValueError, match=f"between 1 and {MAX_ITERATIONS}"):
        LoopSettings(max_iterations=MAX_ITERATIONS + 1)
    browser.register("ada@example.com")
    run_id, response = start_run(browser, redis_conn, max_iterations=str(MAX_ITERATIONS + 1))
    assert response.status_code == 400
    assert f"between 1 and {MAX_ITERATIONS}".encode() in response.data
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f'name="max_iterations" min="1" max="{MAX_ITERATIONS}"' in page


def test_intent_length_is_checked_on_the_server(browser, redis_conn):
    browser.register("ada@example.com")
    _, response = start_run(browser, redis_conn, intent="a harbour " * 40)
    assert response.status_code == 400
    assert b"Keep the intent to 300 characters or fewer." in response.data


def test_retry_enqueues_exactly_one_job(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = run_id_from(upload(browser))
    queue(redis_conn).empty()
    with get_database(database_url).session() as session:
        record_failure(run_row(session, run_id), Stage.EXTRACT, "provider down", retryable=True)
    browser.post(f"/runs/{run_id}/retry")
    assert queue(redis_conn).count == 1
    with get_database(database_url).session() as session:
        assert run_row(session, run_id).phase is Phase.EXTRACTING
    browser.post(f"/runs/{run_id}/retry")  # no longer failed: nothing more is enqueued
    assert queue(redis_conn).count == 1
