"""Style strength and per-reference weights through the web app, as a plain HTML form (no JS)."""

import re

import pytest

from store.db import get_database
from store.models import Iteration, Phase, Run
from tests.support.web import work
from tests.support.webflow import confirm, run_id_from, run_row, save_to_library, upload


def _run(database_url, run_id) -> Run:
    with get_database(database_url).sessions() as session:
        run = run_row(session, run_id)
        session.expunge(run)
        return run


def _confirmed_profile(database_url, run_id) -> dict:
    with get_database(database_url).sessions() as session:
        return run_row(session, run_id).current_version.data


def _extracted(browser, redis_conn) -> int:
    run_id = run_id_from(upload(browser))
    work(redis_conn)
    return run_id


def test_the_confirm_form_offers_strength_and_a_weight_per_reference(browser, redis_conn):
    browser.register("ada@example.com")
    run_id = _extracted(browser, redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert re.search(r'name="style_strength"[^>]*value="100"', page)
    for k in (1, 2, 3):
        assert re.search(rf'name="weight_{k}"[^>]*value="1"', page)
    assert 'name="weight_4"' not in page  # three references uploaded


@pytest.mark.real_engine
def test_confirmed_controls_are_stored_with_the_run_and_shown(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = _extracted(browser, redis_conn)
    _, response = confirm(
        browser,
        run_id,
        max_iterations="1",
        edit=lambda f: {"style_strength": "60", "weight_1": "2", "weight_2": "0"},
    )
    assert response.status_code == 302
    run = _run(database_url, run_id)
    assert run.style_strength == pytest.approx(0.6)
    assert run.reference_weights == [2.0, 0.0, 1.0]
    profile = _confirmed_profile(database_url, run_id)
    assert profile["style"] == {"strength": 0.6, "weights": [2.0, 0.0, 1.0]}
    refs = [r["style"] for r in profile["measurements"]["references"]]
    expected = [(2 * a + c) / 3 for a, c in zip(refs[0], refs[2], strict=True)]
    assert profile["measurements"]["style"]["mean"] == pytest.approx(expected, abs=1e-4)

    work(redis_conn)
    with get_database(database_url).sessions() as session:
        assert session.query(Iteration).filter_by(run_id=run_row(session, run_id).id).count() == 1
    history = browser.get("/history").get_data(as_text=True)
    assert "style 60 % · weights 2, 0, 1" in history
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "style 60 % · weights 2, 0, 1" in page
    # the critic's numbers sit in the iteration's details, its sentence above them
    assert "in their own spread" in page and "learned style" in page
    reasoning = re.findall(r'<p class="reasoning">([^<]*)</p>', page)
    assert reasoning and reasoning[0].endswith(".")
    assert "your references" in reasoning[0] or "does not show" in reasoning[0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"style_strength": "150"}, "Style strength must be a number from 0 to 100 (%)."),
        ({"style_strength": "lots"}, "Style strength must be a number from 0 to 100 (%)."),
        ({"weight_2": "3"}, "Reference 2&#39;s weight must be a number from 0 to 2"),
        ({"weight_1": "nan"}, "Reference 1&#39;s weight must be a number from 0 to 2"),
        (
            {"weight_1": "0", "weight_2": "0", "weight_3": "0"},
            "Give at least one reference a weight above 0.",
        ),
    ],
)
def test_out_of_range_controls_get_a_clear_message_and_change_nothing(
    browser, redis_conn, database_url, fields, message
):
    browser.register("ada@example.com")
    run_id = _extracted(browser, redis_conn)
    _, response = confirm(browser, run_id, edit=lambda f: fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    run = _run(database_url, run_id)
    assert run.phase == Phase.CONFIRM and run.style_strength is None
    # the form keeps what the person typed
    typed = next(iter(fields.values()))
    assert f'value="{typed}"' in response.get_data(as_text=True)


def test_a_library_start_takes_its_own_controls_and_the_export_carries_them(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id = _extracted(browser, redis_conn)
    _, response = confirm(
        browser, run_id, max_iterations="1", edit=lambda f: {"style_strength": "80"}
    )
    assert response.status_code == 302
    profile_id = save_to_library(browser, run_id)
    page = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    assert re.search(r'name="style_strength"[^>]*value="80"', page)  # the version's own
    exported = browser.get(f"/library/{profile_id}/export.json").get_json()
    assert exported["profile"]["style"] == {"strength": 0.8, "weights": None}

    bad = browser.post(
        f"/library/{profile_id}/start",
        {"intent": "a pier", "max_iterations": "1", "style_strength": "20", "weight_3": "-1"},
    )
    assert bad.status_code == 400
    assert "Reference 3&#39;s weight must be a number from 0 to 2" in bad.get_data(as_text=True)

    started = browser.post(
        f"/library/{profile_id}/start",
        {"intent": "a pier", "max_iterations": "1", "style_strength": "20", "weight_3": "0"},
    )
    assert started.status_code == 302
    new_run = _run(database_url, run_id_from(started))
    assert new_run.style_strength == pytest.approx(0.2)
    assert new_run.reference_weights == [1.0, 1.0, 0.0]
