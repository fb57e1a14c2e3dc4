"""A series (#30): several intents at once in one taste, from a run or a library version, each
its own run judged against the same profile, shown together; limits and mistakes in words."""

import re

from sqlalchemy import select

from store.db import get_database
from store.models import Run
from tests.support.web import work
from tests.support.webflow import save_to_library, start_run

INTENTS = "a harbour at dusk\na city street in the rain\n\nflowers in a garden under the moon\n"


def _series_key(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    return re.search(r"/series/([\w-]+)$", response.headers["Location"]).group(1)


def _runs(database_url, key):
    with get_database(database_url).sessions() as session:
        runs = session.scalars(select(Run).where(Run.series_key == key).order_by(Run.id)).all()
        return [(r.intent, r.phase, r.current_version.data, r.aspect, r.threshold) for r in runs]


def test_a_series_from_a_run_makes_a_run_per_intent_in_the_same_taste(
    browser, other_browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(
        browser,
        redis_conn,
        threshold="9.9",
        gate_low="9.8",
        max_iterations="1",
        edit=lambda f: {"principles": "Only moonlit blues\n" + f["principles"], "aspect": "3:2"},
    )
    work(redis_conn)
    key = _series_key(browser.post(f"/runs/{run_id}/series", {"intents": INTENTS}))
    runs = _runs(database_url, key)
    assert [r[0] for r in runs] == [
        "a harbour at dusk",
        "a city street in the rain",
        "flowers in a garden under the moon",
    ]
    assert all(r[1] == "generating" for r in runs)
    assert all(r[2]["principles"][0] == "Only moonlit blues" for r in runs)  # one profile
    assert all(r[3] == "3:2" and r[4] == 9.9 for r in runs)
    page = browser.get(f"/series/{key}")
    assert page.status_code == 200 and "A series of 3 in one taste" in page.get_data(as_text=True)
    assert browser.get(f"/series/{key}/status").status_code == 200  # still working: polling
    work(redis_conn)
    done = browser.get(f"/series/{key}/status")
    assert done.status_code == 286  # all finished: polling stops
    body = done.get_data(as_text=True)
    assert body.count("<img") == 3 and "flowers in a garden under the moon" in body
    other_browser.register("eve@example.com")
    assert other_browser.get(f"/series/{key}").status_code == 404
    assert other_browser.post(f"/runs/{run_id}/series", {"intents": INTENTS}).status_code == 404


def test_a_series_from_the_library_and_its_mistakes(browser, redis_conn, database_url, monkeypatch):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="1")
    work(redis_conn)
    profile_id = save_to_library(browser, run_id)
    page = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    assert "A series in this taste" in page
    key = _series_key(
        browser.post(
            f"/library/{profile_id}/series",
            {
                "version": "1",
                "intents": "a harbour\na street",
                "aspect": "9:16",
                "image_size": "1K",
            },
        )
    )
    assert [(r[0], r[3]) for r in _runs(database_url, key)] == [
        ("a harbour", "9:16"),
        ("a street", "9:16"),
    ]
    for intents, message in (
        ("just one", "A series is 2 to 8 things to make, one per line; this has 1."),
        ("\n".join(f"thing {k}" for k in range(9)), "this has 9."),
    ):
        response = browser.post(
            f"/library/{profile_id}/series", {"version": "1", "intents": intents}
        )
        assert response.status_code == 303
        assert message in browser.get(response.headers["Location"]).get_data(as_text=True)
    monkeypatch.setenv("TASTELOOP_MAX_ACTIVE_RUNS", "3")
    before = len(_runs(database_url, key))
    response = browser.post(f"/runs/{run_id}/series", {"intents": "a\nb\nc"})
    assert response.status_code == 303
    shown = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "A series of 3 would put 5 runs in progress, and at most 3 are allowed" in shown
    with get_database(database_url).sessions() as session:
        assert session.scalar(select(Run).where(Run.intent == "a")) is None
    assert len(_runs(database_url, key)) == before
