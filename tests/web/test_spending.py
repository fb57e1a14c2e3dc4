"""Money that cannot be un-spent (#28, finding 2), and holds that keep a burst of turns under the
cap (finding 4): spending is a ledger kept under an opaque key, never deleted with runs or
accounts; a turn holds its estimate atomically before its calls and settles what they cost."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from jobs.tasks import Work, model_calls
from store.db import get_database
from store.models import SpendingEntry, SpendingHold, SpendingMonth, User
from store.spending import (
    FIRST_HOLD_USD,
    Limits,
    month_of,
    release_stale_holds,
    spent_this_month,
    take_hold,
)
from store.states import Stage
from tasteloop.domain.engine import CallUsage
from tasteloop.metering import record
from tasteloop.stopping import RunStopped
from tests.support.web import Browser, work
from tests.support.webflow import run_row, save_to_library, start_run


def _user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def _spent(database_url, email) -> float:
    with get_database(database_url).sessions() as session:
        user = _user(session, email)
        return spent_this_month(session, [user])[user.id]


def _spent_on_page(browser) -> str:
    page = browser.get("/history").get_data(as_text=True)
    return page.split("Spent this month: <strong>", 1)[1].split("<", 1)[0]


def test_deleting_a_run_does_not_unspend_what_it_cost(gateway, browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="2")
    work(redis_conn)
    spent = _spent(database_url, "ada@example.com")
    assert spent > 0
    shown = _spent_on_page(browser)
    browser.post(f"/runs/{run_id}/delete")
    assert _spent(database_url, "ada@example.com") == spent
    assert _spent_on_page(browser) == shown
    with get_database(database_url).sessions() as session:
        kinds = set(session.scalars(select(SpendingEntry.kind)))
    assert {"extraction", "iteration"} <= kinds  # the ledger says what it was for


def test_deleting_the_account_and_registering_again_keeps_the_months_spending(
    app, gateway, browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="1")
    work(redis_conn)
    spent = _spent(database_url, "ada@example.com")
    browser.post("/account/delete", {"password": "correct horse battery"})
    with get_database(database_url).sessions() as session:
        assert _user(session, "ada@example.com") is None
        # what remains says nothing of the person but an opaque key and the amounts
        (entry, *_) = session.scalars(select(SpendingEntry)).all()
        assert "@" not in entry.account_key and "example" not in entry.account_key
        assert len(entry.account_key) == 64
    again = Browser(app.test_client())
    again.register("ada@example.com")
    assert _spent(database_url, "ada@example.com") == spent


def test_a_burst_of_turns_cannot_hold_more_than_the_cap(env, database_url, monkeypatch):
    monkeypatch.setenv("TASTELOOP_USER_MONTHLY_USD", "0.30")
    db = get_database(database_url)
    with db.session() as session:
        session.add(User(email="ada@example.com", password_hash="x"))
    with db.session() as session:
        key = _user(session, "ada@example.com").spending_key
        # $0.15 already spent, as in the report: room for three holds of $0.05
        session.add(SpendingMonth(account_key=key, month=month_of(), spent_usd=0.15, held_usd=0))
    barrier = threading.Barrier(20)
    results: list[bool] = []

    def turn() -> None:
        barrier.wait()
        with db.session() as session:
            held = take_hold(
                session, _user(session, "ada@example.com"), "iteration", costs_money=True
            )
            results.append(held.problem is None)

    threads = [threading.Thread(target=turn) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.sessions() as session:
        month = session.get(SpendingMonth, (key, month_of()))
        assert month.spent_usd + month.held_usd <= 0.30 + 1e-9
    assert results.count(True) == 3


def test_a_turn_that_is_stopped_still_records_what_its_calls_cost(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8")
    db = get_database(database_url)
    with db.session() as session:
        run = run_row(session, run_id)
        run.lease_owner = "worker-a"
        user = run.user
        held = take_hold(session, user, "iteration", costs_money=True)
        work_ = Work(hold=held.hold_id, account=user.spending_key, kind="iteration")
    with model_calls(run_id, "worker-a", Stage.GENERATE, work_):
        record(CallUsage("generate", "img", 1.0, cost_usd=0.07))  # the call in flight finished
        raise RunStopped("generate")
    assert work_.lost
    assert _spent(database_url, "ada@example.com") == pytest.approx(0.07)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).where(SpendingHold.settled_at.is_(None))) == 0
        month = session.get(SpendingMonth, (user.spending_key, month_of()))
        assert month.held_usd == pytest.approx(0.0)


def test_a_hold_is_the_most_a_turn_has_cost_and_stale_holds_are_let_go(env, database_url):
    db = get_database(database_url)
    with db.session() as session:
        session.add(User(email="ada@example.com", password_hash="x"))
    with db.session() as session:
        user = _user(session, "ada@example.com")
        first = take_hold(session, user, "iteration", Limits(None, None), costs_money=True)
        hold = session.get(SpendingHold, first.hold_id)
        assert hold.amount_usd == FIRST_HOLD_USD
        session.add(
            SpendingEntry(
                account_key=user.spending_key, month=month_of(), kind="iteration", cost_usd=0.12
            )
        )
        session.flush()
        second = take_hold(session, user, "iteration", Limits(None, None), costs_money=True)
        assert session.get(SpendingHold, second.hold_id).amount_usd == pytest.approx(0.12)
    from datetime import timedelta

    with db.session() as session:
        assert release_stale_holds(session, older_than=timedelta(0)) == 2
        month = session.get(SpendingMonth, (user.spending_key, month_of()))
        assert month.held_usd == pytest.approx(0.0) and month.spent_usd == pytest.approx(0.0)


def test_re_extraction_is_held_against_the_cap_and_recorded(
    gateway, browser, redis_conn, database_url, monkeypatch
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, max_iterations="1")
    work(redis_conn)
    profile_id = save_to_library(browser, run_id)
    with get_database(database_url).sessions() as session:
        before = session.scalar(select(func.count()).select_from(SpendingEntry))
    browser.post(f"/library/{profile_id}/reextract")
    work(redis_conn)
    with get_database(database_url).sessions() as session:
        kinds = list(session.scalars(select(SpendingEntry.kind)))
    assert len(kinds) == before + 1 and kinds[-1] == "re-extraction"

    monkeypatch.setenv("TASTELOOP_USER_MONTHLY_USD", "0")
    browser.post(f"/library/{profile_id}/reextract")
    calls = len(gateway.requests)
    work(redis_conn)
    assert len(gateway.requests) == calls  # no paid call over the cap
    page = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    assert "monthly spending limit" in page


@pytest.mark.parametrize("raw", ["nan", "-0", "5_0", "1e3", "inf", "-1", "lots"])
def test_a_cap_is_a_plain_amount(env, monkeypatch, raw):
    from store.spending import LimitSettingError

    monkeypatch.setenv("TASTELOOP_USER_MONTHLY_USD", raw)
    with pytest.raises(LimitSettingError, match="TASTELOOP_USER_MONTHLY_USD"):
        Limits.from_env()
