"""The web app and worker driving the gateway engine against the local OpenAI-wire server."""

import numpy as np
from sqlalchemy import select

from store.db import get_database
from store.models import Blob, Iteration, Phase
from tests.support.web import work
from tests.support.webflow import gate_id_on, run_id_from, run_row, start_run, upload


def load(database_url, run_id):
    with get_database(database_url).sessions() as session:
        run = run_row(session, run_id)
        iterations = session.scalars(
            select(Iteration)
            .where(Iteration.run_id == run_row(session, run_id).id)
            .order_by(Iteration.index)
        ).all()
        session.expunge_all()
        return run, iterations


def test_generator_failure_is_visible_and_retry_resumes(gateway, browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="3")
    # the first iteration succeeds, then the provider goes down for every retry of the second
    gateway.latency = {}
    original = gateway._next_fault
    calls = {"n": 0}

    def fail_after_first(role):
        if role == "generate":
            calls["n"] += 1
            if calls["n"] >= 2:
                return "500"
        return original(role)

    gateway._next_fault = fail_after_first
    work(redis_conn)
    run, iterations = load(database_url, run_id)
    assert run.phase == Phase.FAILED and run.failed_stage == "generate"
    assert run.error_retryable and "HTTP 500" in run.error and "after 2 attempts" in run.error
    assert len(iterations) == 1
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Generation stopped" in page and "Retry" in page and "1 kept" in page
    assert "tokens" in page and "$" in page  # usage and cost so far

    gateway._next_fault = original  # the provider is back
    browser.post(f"/runs/{run_id}/retry")
    work(redis_conn)
    run, iterations = load(database_url, run_id)
    assert run.phase == Phase.DONE and run.outcome == "max_iterations"
    assert [it.index for it in iterations] == [0, 1, 2]  # resumed, nothing lost or repeated
    assert iterations[1].prompt == iterations[0].revised_prompt


def test_critic_failure_is_a_zero_iteration_with_its_reason(
    gateway, browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="2")
    gateway.fail_next("malformed", role="critique", times=3)
    work(redis_conn)
    run, iterations = load(database_url, run_id)
    assert run.phase == Phase.DONE
    first, second = iterations
    assert first.score == 0 and first.critic_error and first.reasoning.startswith("Critic failed:")
    assert second.prompt == first.prompt and second.score > 0
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Critic failed:" in page
    assert run.best_iteration_id == second.id


def test_extraction_failure_is_retryable(gateway, browser, redis_conn, database_url):
    from tests.support.webflow import run_id_from, upload

    browser.register("ada@example.com")
    gateway.fail_next("500", role="extract", times=2)
    run_id = run_id_from(upload(browser))
    work(redis_conn)
    run, _ = load(database_url, run_id)
    assert run.phase == Phase.FAILED and run.failed_stage == "extract"
    assert "Taste extraction stopped" in browser.get(f"/runs/{run_id}").get_data(as_text=True)
    browser.post(f"/runs/{run_id}/retry")
    work(redis_conn)
    run, _ = load(database_url, run_id)
    assert run.phase == Phase.CONFIRM
    assert run.extract_usage and run.extract_usage[0]["cost_usd"] > 0


def test_best_of_four_runs_concurrently_and_marks_the_chosen(
    gateway, browser, redis_conn, database_url
):
    gateway.latency = {"generate": 0.3, "critique": 0.2}
    browser.register("ada@example.com")
    run_id, _ = start_run(
        browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="2", candidates="4"
    )
    work(redis_conn)
    run, iterations = load(database_url, run_id)
    assert run.phase == Phase.DONE and len(iterations) == 2
    assert gateway.max_in_flight >= 4  # the four candidates were in flight together
    for iteration in iterations:
        assert len(iteration.candidates) == 4
        scores = [c["score"] for c in iteration.candidates]
        assert iteration.score == max(scores)
        chosen = [c for c in iteration.candidates if c["chosen"]]
        assert len(chosen) == 1 and chosen[0]["image_sha"] == iteration.image_sha
    assert iterations[1].prompt == iterations[0].revised_prompt
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert page.count("✓ the critic's pick") == 2 and page.count('alt="candidate ') == 8
    for candidate in iterations[0].candidates:  # every candidate image is served to its owner
        assert browser.get(f"/runs/{run_id}/images/{candidate['image_sha']}").status_code == 200


def test_gateway_calls_per_worker_respect_the_global_limit(
    gateway, browser, redis_conn, database_url, monkeypatch
):
    import jobs.tasks

    monkeypatch.setenv("TASTELOOP_MAX_CONCURRENT_CALLS", "2")
    jobs.tasks.engine.cache_clear()
    gateway.latency = {"generate": 0.3, "critique": 0.2}
    browser.register("ada@example.com")
    run_id, _ = start_run(
        browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="1", candidates="4"
    )
    work(redis_conn)
    run, iterations = load(database_url, run_id)
    assert run.phase == Phase.DONE and len(iterations[0].candidates) == 4
    assert gateway.max_in_flight == 2


def test_the_run_page_shows_references_sent_and_pairwise_verdicts(
    gateway, browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="2")
    work(redis_conn)
    run, iterations = load(database_url, run_id)
    assert [it.generation["references_sent"] for it in iterations] == [3, 3]
    assert iterations[0].comparison is None and iterations[1].comparison["agreed"] in (
        "candidate",
        "best",
    )
    assert len(gateway.calls("compare")) == 2
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "painted with 3 style references" in page
    assert "Judged against the best so far, twice with the images swapped" in page


def test_a_refusal_of_images_is_remembered_across_a_gate_and_the_note_reaches_the_reviser(
    gateway, browser, redis_conn, database_url
):
    gateway.rejects_image_inputs = True
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="0.1", max_iterations="3")
    work(redis_conn)
    run, _ = load(database_url, run_id)
    assert run.phase == Phase.GATED and "refused images beside the prompt" in run.inputs_refused
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "refused images beside the prompt" in page
    gate_id = gate_id_on(page)
    browser.post(
        f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "continue", "note": "warmer"}
    )
    work(redis_conn)
    # after the one refused request, every generation went as text alone, the next job's too
    assert [bool(c.input_images) for c in gateway.calls("generate")] == [True, False, False]
    (revise,) = gateway.calls("revise")
    assert 'Their note (JSON data): "warmer' in revise.text
    _, iterations = load(database_url, run_id)
    assert iterations[1].prompt.endswith("Direction from the person: warmer")
    # the worker's next critique, in a new job, is told the person's note leads
    assert 'oldest first): ["warmer"]' in gateway.calls("critique")[-1].text
    assert iterations[1].generation["inputs_refused"] is None


def test_the_confirm_page_says_which_of_the_models_claims_were_left_out(
    gateway, browser, redis_conn
):
    gateway.extraction_reply = {
        "principles": ["Keep to ink", "Leave paper showing", "Hatch the shadows"],
        "palette_tendency": "Ink on paper.",
        "compositional_style": "Sparse, airy arrangements.",
        "emotional_register": "Quiet.",
        "texture_feel": "Vivid saturated colour in dots, etched hatching.",
        "avoid_list": ["neon colour", "heavy film grain", "glossy airbrushing"],
    }
    browser.register("ada@example.com")
    run_id = run_id_from(upload(browser, set_name="monochrome-ink-and-etching"))
    work(redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Etched hatching." in page and "Vivid saturated" not in page.split("<details")[0]
    assert "Left out of the words because the references measurably lack it" in page
    assert "Vivid saturated colour in dots" in page.split('<details class="measured">')[1]


def test_more_like_this_edits_the_picture_where_the_gateway_model_edits(
    gateway, browser, redis_conn, database_url, monkeypatch
):
    """#30: with TASTELOOP_REFINE=edit each variation is an edit of the picture itself (sent
    first, with the edit instruction), not only the same prompt with a new seed."""
    import io

    from PIL import Image

    import jobs.tasks
    from tasteloop.gateway.generator import EDIT_INSTRUCTION

    monkeypatch.setenv("TASTELOOP_REFINE", "edit")
    jobs.tasks.engine.cache_clear()
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="1")
    work(redis_conn)
    _, (source,) = load(database_url, run_id)
    with get_database(database_url).sessions() as session:
        picture = session.get(Blob, source.image_sha).data
    before = len(gateway.calls("generate"))
    response = browser.post(f"/runs/{run_id}/vary", {"iteration": "1", "count": "2"})
    assert response.status_code in (302, 303)
    fresh = run_id_from(response)
    work(redis_conn)
    edits = gateway.calls("generate")[before:]
    assert len(edits) == 2 and all(EDIT_INSTRUCTION in call.text for call in edits)
    assert all(len(call.input_images) == 1 + 3 for call in edits)  # the picture, then the refs
    sent = [Image.open(io.BytesIO(call.input_images[0])) for call in edits]
    painted = Image.open(io.BytesIO(picture)).convert("RGB")
    for image in sent:  # the picture it varies goes first (as the model is sent any image)
        assert image.size == painted.size
        difference = np.abs(
            np.asarray(image.convert("RGB"), float) - np.asarray(painted, float)
        ).mean()
        assert difference < 10  # the same picture, through the JPEG the request carries
    run, (varied,) = load(database_url, fresh)
    assert run.varied_from_id == source.id and varied.generation["edited_varied"] is True
    page = browser.get(f"/runs/{fresh}").get_data(as_text=True)
    assert "an edit of the picture it varies" in page
