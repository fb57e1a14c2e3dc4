"""Ids are never handed out twice, and a cookie names one account for good (#28, finding 1; and
finding 7's revived cookies): a deleted account's cookies open nothing, not even the account
that registers next; disabling an account ends its sessions and its work. Runs are named outside
by a random public id, never by their integer key (#31)."""

from __future__ import annotations

import re

from sqlalchemy import select

from store.db import get_database
from store.models import Iteration, Phase, User
from tests.support.web import Browser, register_admin, work
from tests.support.webflow import PUBLIC_ID, run_id_from, run_row, start_run, upload


def _user(database_url, email) -> User:
    with get_database(database_url).sessions() as session:
        user = session.scalar(select(User).where(User.email == email))
        session.expunge_all()
        return user


def _remembered(app, email) -> Browser:
    browser = Browser(app.test_client())
    browser.register(email)
    browser.logout()
    browser.get("/login")
    browser.post("/login", {"email": email, "password": "correct horse battery", "remember": "1"})
    assert browser.get("/history").status_code == 200
    return browser


def _copy(source: Browser, target: Browser) -> None:
    for name in ("session", "remember_token"):
        cookie = source.client.get_cookie(name)
        if cookie is not None:
            target.client.set_cookie(name, cookie.value)


def test_a_deleted_accounts_cookies_never_open_the_next_account(app, database_url):
    x = _remembered(app, "x@example.com")
    second_device = Browser(app.test_client())
    _copy(x, second_device)
    x_id = _user(database_url, "x@example.com").id
    x.post("/account/delete", {"password": "correct horse battery"})

    y = Browser(app.test_client())
    y.register("y@example.com")
    y_id = _user(database_url, "y@example.com").id
    assert y_id > x_id  # the deleted account's id is not handed out again
    # X's old cookies (session and remember-me) are no one's
    assert second_device.get("/history").status_code == 302
    assert "y@example.com" not in second_device.get("/runs/new").get_data(as_text=True)


def test_a_cookie_names_its_account_by_a_secret_not_by_the_id_alone(app, database_url):
    """Even a row that did get an old id (a hand-restored backup, another database) is not
    opened by the old account's cookies: the identity holds a random per-account secret."""
    x = _remembered(app, "x@example.com")
    stolen = Browser(app.test_client())
    _copy(x, stolen)
    old = _user(database_url, "x@example.com")
    with get_database(database_url).session() as session:
        session.delete(session.get(User, old.id))
    with get_database(database_url).session() as session:
        session.add(User(id=old.id, email="z@example.com", password_hash="x"))
    assert stolen.get("/history").status_code == 302


def test_run_ids_are_not_reused_after_a_deletion(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    first, _ = start_run(browser, redis_conn)
    with get_database(database_url).sessions() as session:
        first_number = run_row(session, first).id
    assert browser.post(f"/runs/{first}/delete").status_code == 303
    second, _ = start_run(browser, redis_conn)
    with get_database(database_url).sessions() as session:
        assert run_row(session, second).id > first_number
        iteration_ids = session.scalars(select(Iteration.id)).all()
    assert second != first and browser.get(f"/runs/{first}").status_code == 404
    work(redis_conn)
    with get_database(database_url).sessions() as session:
        newer = session.scalars(
            select(Iteration.id).where(Iteration.run_id == run_row(session, second).id)
        ).all()
    assert all(i > max(iteration_ids, default=0) for i in newer)


def test_disabling_ends_sessions_for_good_and_stops_the_work(
    app, browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="5")
    admin = Browser(app.test_client())
    register_admin(app, admin, "root@example.com")
    ada = _user(database_url, "ada@example.com")
    admin.post(f"/admin/users/{ada.id}/disable", {"disabled": "1"})
    with get_database(database_url).sessions() as session:
        run = run_row(session, run_id)
        assert run.phase == Phase.DONE and run.outcome == "stopped"
    work(redis_conn)  # the queued turn makes no iteration
    with get_database(database_url).sessions() as session:
        assert (
            session.scalars(
                select(Iteration).where(Iteration.run_id == run_row(session, run_id).id)
            ).all()
            == []
        )
    assert browser.get("/history").status_code == 302
    admin.post(f"/admin/users/{ada.id}/disable", {"disabled": "0"})
    assert browser.get("/history").status_code == 302  # enabling again revives no cookie
    assert browser.login("ada@example.com").status_code == 302  # a new log-in works


def test_the_worker_refuses_a_turn_of_a_disabled_account(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8")
    with get_database(database_url).session() as session:
        session.scalar(select(User).where(User.email == "ada@example.com")).disabled = True
    work(redis_conn)
    with get_database(database_url).sessions() as session:
        run = run_row(session, run_id)
        assert run.phase == Phase.FAILED and "account is disabled" in run.error
        assert (
            session.scalars(
                select(Iteration).where(Iteration.run_id == run_row(session, run_id).id)
            ).all()
            == []
        )


def test_runs_are_named_outside_by_a_random_public_id_not_their_number(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    first, _ = start_run(browser, redis_conn, intent="a harbour at dusk")
    second = run_id_from(upload(browser))
    with get_database(database_url).sessions() as session:
        numbers = [run_row(session, first).id, run_row(session, second).id]
    assert first != second and all(re.fullmatch(PUBLIC_ID, p) for p in (first, second))
    assert not first.isdigit() and len(first) >= 11  # 64 random bits: nothing to count
    for number in numbers:
        assert browser.get(f"/runs/{number}").status_code == 404  # the key opens nothing
        assert browser.get(f"/runs/{number}/status").status_code == 404
    work(redis_conn)
    pages = [browser.get(url).get_data(as_text=True) for url in (f"/runs/{first}", "/history")]
    for page in pages:
        linked = set(re.findall(r"/runs/([^/\"?#]+)", page)) - {"new"}
        assert linked and linked <= {first, second}
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert not re.search(r"\d", title)
    assert "<title>Run \u201ca harbour at dusk\u201d" in pages[0]
    assert browser.get(f"/runs/{first[:-1]}").status_code == 404
    assert browser.get(f"/runs/{'x' * 200}").status_code == 404
