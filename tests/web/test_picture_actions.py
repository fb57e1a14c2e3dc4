"""What a person can do with a picture of a finished run: use this one."""

import io
import re

from PIL import Image
from sqlalchemy import select

from store.db import get_database
from store.models import Blob, Iteration
from tests.support.web import Browser, register_admin, work
from tests.support.webflow import PUBLIC_ID, run_row, start_run


def _finished_run(browser, redis_conn, database_url, iterations="3"):
    browser.register("ada@example.com")
    run_id, _ = start_run(
        browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations=iterations
    )
    work(redis_conn)
    with get_database(database_url).sessions() as session:
        run = run_row(session, run_id)
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
        run = run_row(session, run_id)
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
        assert run_row(session, run_id).chosen_iteration_id is None

    # a run still working has no result to choose
    second, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8")
    browser.post(f"/runs/{second}/result", {"iteration": "1"})
    with get_database(database_url).sessions() as session:
        assert run_row(session, second).chosen_iteration_id is None
    page = browser.get(f"/runs/{second}").get_data(as_text=True)
    assert "Use this one" not in page


def test_a_run_with_a_chosen_result_can_be_deleted(browser, redis_conn, database_url):
    run_id, _, _, loop_index = _finished_run(browser, redis_conn, database_url, iterations="2")
    browser.post(f"/runs/{run_id}/result", {"iteration": str(2 - loop_index)})
    with get_database(database_url).sessions() as session:
        number = run_row(session, run_id).id
    assert browser.post(f"/runs/{run_id}/delete").status_code == 303
    with get_database(database_url).sessions() as session:
        assert run_row(session, run_id) is None
        assert session.scalar(select(Iteration.id).where(Iteration.run_id == number)) is None


def _blob(database_url, sha):
    with get_database(database_url).sessions() as session:
        return session.get(Blob, sha).data


def test_compare_shows_two_iterations_side_by_side_with_the_higher_scores_marked(
    browser, other_browser, redis_conn, database_url
):
    run_id, shas, scores, _ = _finished_run(browser, redis_conn, database_url)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f'action="/runs/{run_id}/compare"' in page and 'method="get"' in page
    compared = browser.get(f"/runs/{run_id}/compare?a=1&b=3")
    assert compared.status_code == 200
    body = compared.get_data(as_text=True)
    assert "iteration 1 beside iteration 3" in body
    assert shas[0] in body and shas[2] in body
    overall = re.search(r"<th scope=\"row\">Overall</th>(.*?)</tr>", body, re.S).group(1)
    cells = re.findall(r"<td( class=\"higher\")?>([\d.]+)</td>", overall)
    assert [float(v) for _, v in cells] == [round(scores[0], 1), round(scores[2], 1)]
    higher = [bool(mark) for mark, _ in cells]
    a, b = round(scores[0], 1), round(scores[2], 1)
    assert higher == [a > b, b > a]
    assert body.count('<th scope="row">') == 6  # overall and the five dimensions
    # a bad pair goes back to the run with a message, and the page is the owner's only
    response = browser.get(f"/runs/{run_id}/compare?a=1&b=9")
    assert response.status_code == 302
    assert "Choose two iterations" in browser.get(f"/runs/{run_id}").get_data(as_text=True)
    other_browser.register("eve@example.com")
    assert other_browser.get(f"/runs/{run_id}/compare?a=1&b=2").status_code == 404


def test_run_again_makes_a_new_run_at_confirm_with_the_same_taste_and_a_new_intent(
    browser, other_browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(
        browser,
        redis_conn,
        threshold="9.9",
        gate_low="9.8",
        max_iterations="2",
        edit=lambda fields: {"principles": "Only moonlit blues\n" + fields["principles"]},
    )
    work(redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Copy prompt" in page and 'id="prompt-1"' in page
    response = browser.post(f"/runs/{run_id}/again", {"intent": "a city street in the rain"})
    assert response.status_code == 303
    fresh = re.search(rf"/runs/({PUBLIC_ID})", response.headers["Location"]).group(1)
    assert fresh != run_id
    with get_database(database_url).sessions() as session:
        old, new = run_row(session, run_id), run_row(session, fresh)
        assert new.phase == "confirm" and new.intent == "a city street in the rain"
        assert [r.blob_sha for r in new.references] == [r.blob_sha for r in old.references]
        assert new.current_version.data["principles"][0] == "Only moonlit blues"
        assert (new.max_iterations, new.threshold, new.gate_low) == (2, 9.9, 9.8)
        assert old.phase == "done" and not new.iterations
    page = browser.get(f"/runs/{fresh}").get_data(as_text=True)
    assert 'value="a city street in the rain"' in page and "Only moonlit blues" in page
    assert re.search(r'name="threshold"[^>]*value="9.9"', page)
    other_browser.register("eve@example.com")
    assert other_browser.post(f"/runs/{run_id}/again", {"intent": "x"}).status_code == 404
    # a run still at the confirm step has no taste to run again with
    assert browser.post(f"/runs/{fresh}/again", {"intent": "x"}).status_code == 404


def test_the_result_downloads_full_size_as_png_jpeg_or_webp(browser, redis_conn, database_url):
    run_id, shas, _, loop_index = _finished_run(browser, redis_conn, database_url, iterations="1")
    stored = Image.open(io.BytesIO(_blob(database_url, shas[loop_index])))
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    for fmt, mime, extension, pil in (
        ("png", "image/png", "png", "PNG"),
        ("jpeg", "image/jpeg", "jpg", "JPEG"),
        ("webp", "image/webp", "webp", "WEBP"),
    ):
        assert f"/runs/{run_id}/download/image?format={fmt}" in page
        response = browser.get(f"/runs/{run_id}/download/image?format={fmt}")
        assert response.status_code == 200 and response.mimetype == mime
        disposition = response.headers["Content-Disposition"]
        assert f'filename="tasteloop-run-{run_id}.{extension}"' in disposition
        picture = Image.open(io.BytesIO(response.data))
        assert picture.format == pil and picture.size == stored.size
    assert browser.get(f"/runs/{run_id}/download/image?format=gif").status_code == 400


def test_more_like_this_paints_variations_of_a_picture_as_a_new_run(
    browser, other_browser, redis_conn, database_url
):
    run_id, shas, _, _ = _finished_run(browser, redis_conn, database_url, iterations="2")
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert page.count("More like this</button>") == 2
    response = browser.post(f"/runs/{run_id}/vary", {"iteration": "2", "count": "3"})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    fresh = re.search(rf"/runs/({PUBLIC_ID})", response.headers["Location"]).group(1)
    work(redis_conn)
    with get_database(database_url).sessions() as session:
        source = session.scalar(
            select(Iteration).where(
                Iteration.run_id == run_row(session, run_id).id, Iteration.index == 1
            )
        )
        run = run_row(session, fresh)
        assert run.varied_from_id == source.id and run.seed != 0
        assert (run.max_iterations, run.candidates) == (1, 3)
        [made] = run.iterations
        assert made.prompt == source.prompt  # the same prompt, new seeds
        pictures = {c["image_sha"] for c in made.candidates}
        assert len(made.candidates) == 3 and len(pictures) == 3
        assert source.image_sha not in pictures
    page = browser.get(f"/runs/{fresh}").get_data(as_text=True)
    assert "variations of iteration 2 of the run “a harbour at dusk”" in page
    assert f'href="/runs/{run_id}#iteration-2"' in page
    other_browser.register("eve@example.com")
    assert (
        other_browser.post(f"/runs/{run_id}/vary", {"iteration": "1", "count": "2"}).status_code
        == 404
    )
    assert browser.post(f"/runs/{run_id}/vary", {"iteration": "1", "count": "9"}).status_code == 400
    assert browser.post(f"/runs/{run_id}/vary", {"iteration": "7", "count": "2"}).status_code == 400
    # the source can go; the variations stay, without the link
    assert browser.post(f"/runs/{run_id}/delete").status_code == 303
    with get_database(database_url).sessions() as session:
        assert run_row(session, fresh).varied_from_id is None
    assert browser.get(f"/runs/{fresh}").status_code == 200


def test_a_candidate_the_critic_did_not_pick_can_be_the_result(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id, _ = start_run(
        browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="1", candidates="3"
    )
    work(redis_conn)
    with get_database(database_url).sessions() as session:
        [it] = run_row(session, run_id).iterations
        other = next(k for k, c in enumerate(it.candidates) if not c["chosen"])
        sha, score = it.candidates[other]["image_sha"], it.candidates[other]["score"]
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert page.count('class="use-candidate"') == 2  # the two the critic did not pick
    response = browser.post(
        f"/runs/{run_id}/result", {"iteration": "1", "candidate": str(other + 1)}
    )
    assert response.status_code == 303
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f"Candidate {other + 1} of iteration 1 is now this run&#39;s result" in page
    assert f"Iteration 1, candidate {other + 1}" in page
    assert browser.get(f"/runs/{run_id}/download/image").data == _blob(database_url, sha)
    history = browser.get("/history").get_data(as_text=True)
    assert sha in history and f"{score:.1f}" in history
    browser.post(f"/runs/{run_id}/result", {"iteration": "1", "candidate": "7"})
    assert "That iteration has no such candidate" in browser.get(f"/runs/{run_id}").get_data(
        as_text=True
    )
    assert (
        browser.post(f"/runs/{run_id}/result", {"iteration": "1", "candidate": "x"}).status_code
        == 400
    )


def test_run_json_records_every_iteration_and_a_result_chosen_by_the_person(
    browser, other_browser, redis_conn, database_url
):
    run_id, shas, scores, loop_index = _finished_run(browser, redis_conn, database_url)
    document = browser.get(f"/runs/{run_id}/download/run.json").json
    assert document["shape"] == {"aspect": "1:1", "size": "1K"}
    assert [it["iteration"] for it in document["iterations"]] == [1, 2, 3]
    assert [it["score"] for it in document["iterations"]] == scores
    assert document["result"]["chosen_by_person"] is False
    assert document["result"]["result_iteration"] == loop_index + 1
    other = next(k for k in range(3) if k != loop_index)
    browser.post(f"/runs/{run_id}/result", {"iteration": str(other + 1)})
    chosen = browser.get(f"/runs/{run_id}/download/run.json").json["result"]
    assert chosen["chosen_by_person"] is True and chosen["result_iteration"] == other + 1
    assert chosen["final_iteration"] == loop_index + 1  # the loop's own result, kept
    assert chosen["score"] == scores[other] and chosen["image"].endswith(shas[other])
    other_browser.register("eve@example.com")
    assert other_browser.get(f"/runs/{run_id}/download/run.json").status_code == 404
