"""The picture's shape and size (#30): chosen at confirm and when starting from the library,
"as my references", refused in a sentence before anything is spent, stored and shown."""

import io

from PIL import Image
from sqlalchemy import select

from store.db import get_database
from store.models import Blob, Iteration
from tasteloop.domain.shape import nearest_aspect
from tests.support.web import work
from tests.support.webflow import confirm, run_id_from, run_row, save_to_library, upload


def _run(database_url, run_id):
    with get_database(database_url).sessions() as session:
        run = run_row(session, run_id)
        sizes = [
            Image.open(io.BytesIO(session.get(Blob, sha).data)).size
            for sha in session.scalars(
                select(Iteration.image_sha).where(Iteration.run_id == run_row(session, run_id).id)
            )
        ]
        return run.phase, run.aspect, run.image_size, sizes


def _extracted(browser, redis_conn):
    run_id = run_id_from(upload(browser))
    work(redis_conn)
    return run_id


def test_a_run_paints_at_the_shape_chosen_at_confirm_and_says_so(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = _extracted(browser, redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert '<select name="aspect"' in page and "9:16 portrait" in page and "16:9 landscape" in page
    assert "As my references (" in page
    _, response = confirm(
        browser,
        run_id,
        threshold="9.9",
        gate_low="9.8",
        max_iterations="2",
        edit=lambda _f: {"aspect": "16:9", "image_size": "1K"},
    )
    assert response.status_code == 302
    work(redis_conn)
    phase, aspect, size, pictures = _run(database_url, run_id)
    assert (aspect, size) == ("16:9", "1K")
    assert pictures and all(nearest_aspect(w / h) == "16:9" for w, h in pictures)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "16:9 landscape · 1K" in page
    assert 'alt="final image" width="768" height="432"' in page  # the page keeps its shape
    assert 'alt="iteration 1" width="512" height="288"' in page
    assert "16:9 1K" in browser.get("/history").get_data(as_text=True)
    exported = browser.get(f"/runs/{run_id}/download/profile.json").json
    assert exported["shape"] == {"aspect": "16:9", "size": "1K"}


def test_as_my_references_takes_their_median_ratio(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = _extracted(browser, redis_conn)
    with get_database(database_url).sessions() as session:
        run = run_row(session, run_id)
        ratios = sorted(
            session.get(Blob, ref.blob_sha).width / session.get(Blob, ref.blob_sha).height
            for ref in run.references
        )
    _, response = confirm(browser, run_id, edit=lambda _f: {"aspect": "references"})
    assert response.status_code == 302
    assert _run(database_url, run_id)[1] == nearest_aspect(ratios[len(ratios) // 2])


def test_a_shape_or_size_that_cannot_be_painted_is_a_message_and_nothing_starts(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id = _extracted(browser, redis_conn)
    _, response = confirm(browser, run_id, edit=lambda _f: {"aspect": "7:5"})
    assert response.status_code == 400
    assert "&#39;7:5&#39; is not a shape tasteloop offers" in response.get_data(as_text=True)
    _, response = confirm(browser, run_id, edit=lambda _f: {"image_size": "2K"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The sketch engine paints at 1K only" in body and "connect an image model" in body
    assert _run(database_url, run_id)[:2] == ("confirm", "1:1")


def test_starting_from_the_library_takes_a_shape_too(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = _extracted(browser, redis_conn)
    confirm(browser, run_id, threshold="9.9", gate_low="9.8", max_iterations="1")
    work(redis_conn)
    profile_id = save_to_library(browser, run_id)
    page = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    assert '<select name="aspect"' in page
    response = browser.post(
        f"/library/{profile_id}/start",
        {
            "intent": "a city street in the rain",
            "aspect": "9:16",
            "image_size": "1K",
            "max_iterations": "1",
            "threshold": "9.9",
            "gate_low": "9.8",
            "candidates": "1",
            "style_strength": "100",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    started = run_id_from(response)
    work(redis_conn)
    _, aspect, _, pictures = _run(database_url, started)
    assert aspect == "9:16" and pictures and all(w < h for w, h in pictures)
    refused = browser.post(
        f"/library/{profile_id}/start",
        {
            "intent": "a city street",
            "aspect": "1:1",
            "image_size": "4K",
            "max_iterations": "1",
            "threshold": "9.9",
            "gate_low": "9.8",
            "candidates": "1",
            "style_strength": "100",
        },
    )
    assert refused.status_code == 400
    assert "4K is not available" in refused.get_data(as_text=True)
