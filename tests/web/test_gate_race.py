"""Two tabs post different gate decisions at the same moment: exactly one wins, the other is told."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from store.db import get_database
from store.models import Gate, Phase
from tests.support.web import Browser, work
from tests.support.webflow import gate_id_on, run_row, start_run

TRIALS = 4


def race(tabs: dict[str, Browser], run_id: int, gate_id: int) -> dict[str, object]:
    """Post each tab's decision from its own thread, released at the same instant."""
    barrier = threading.Barrier(len(tabs))
    responses: dict[str, object] = {}

    def decide(decision: str, tab: Browser) -> None:
        barrier.wait()
        responses[decision] = tab.post(
            f"/runs/{run_id}/gate", {"decision": decision, "gate_id": str(gate_id)}
        )

    threads = [threading.Thread(target=decide, args=item) for item in tabs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_simultaneous_gate_decisions_have_exactly_one_winner(
    app, browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    tab_a, tab_b = browser, Browser(app.test_client())
    tab_b.client.set_cookie(
        "session", browser.client.get_cookie("session").value, domain="localhost"
    )
    for trial in range(TRIALS):
        run_id, _ = start_run(
            browser, redis_conn, threshold="9.9", gate_low="0.1", max_iterations="3"
        )
        work(redis_conn)
        page = tab_a.get(f"/runs/{run_id}").get_data(as_text=True)
        gate_id = gate_id_on(page)
        tab_b.get(f"/runs/{run_id}")  # both tabs have the page (and a CSRF token) open

        responses = race({"approve": tab_a, "continue": tab_b}, run_id, gate_id)
        assert {r.status_code for r in responses.values()} <= {302, 303}, trial

        messages = {
            decision: (tab_a if decision == "approve" else tab_b)
            .get(f"/runs/{run_id}")
            .get_data(as_text=True)
            for decision in responses
        }
        with get_database(database_url).session() as session:
            gate = session.get(Gate, gate_id)
            run = run_row(session, run_id)
            winner = gate.decision
            assert winner in ("approve", "continue")
            loser = "continue" if winner == "approve" else "approve"
            if winner == "approve":
                assert run.phase == Phase.DONE and run.outcome == "approved"
            else:
                assert run.phase == Phase.GENERATING
            assert (
                session.scalar(
                    select(func.count(Gate.id)).where(Gate.run_id == run_row(session, run_id).id)
                )
                == 1
            )
        assert "already decided" in messages[loser], (trial, winner)
        assert "already decided" not in messages[winner]
        work(redis_conn)  # let a continued run finish before the next trial
