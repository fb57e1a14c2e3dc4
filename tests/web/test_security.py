"""Findings of the red-team pass, each with the attack it stops."""

from __future__ import annotations

import re
import time

import pytest

from jobs.heartbeat import Heartbeat, beat, workers_alive
from store.db import get_database
from tasteloop.offline.layout_spec import set_adjustments, strip_adjustments
from tests.support.web import CSRF, work
from tests.support.webflow import confirm, run_id_from, run_row, upload
from webapp.auth import safe_next

OLD_PATTERN = re.compile(r"\s*Adjustments:[^\n]*$", re.IGNORECASE)


@pytest.mark.parametrize(
    "prompt",
    [
        "a harbour at dusk",
        "a harbour at dusk. Adjustments: detail +2, grain -1.",
        "a harbour\nat dusk  adjustments: softness +1",
        "Adjustments: detail +1\na harbour at dusk",  # not on the last line: kept
        "a harbour Adjustments: x Adjustments: detail +1.\n",
        "   \n\t Adjustments: detail +1",
    ],
)
def test_strip_adjustments_matches_the_anchored_regex_it_replaces(prompt):
    assert strip_adjustments(prompt) == OLD_PATTERN.sub("", prompt.rstrip())


def test_adjustments_clause_is_rewritten_not_repeated():
    once = set_adjustments("a harbour at dusk", {"detail": 2})
    twice = set_adjustments(once, {"grain": -1})
    assert twice == "a harbour at dusk Adjustments: grain -1."


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/history", "/history"),
        ("/runs/3?x=1", "/runs/3?x=1"),
        ("//evil.com", None),
        ("/\t/evil.com", None),  # browsers drop the tab: //evil.com
        ("/\\evil.com", None),
        ("/a\r\nSet-Cookie: x=1", None),
        ("https://evil.com/", None),
        ("evil.com", None),
        ("", None),
    ],
)
def test_next_accepts_only_paths_on_this_site(target, expected):
    assert safe_next(target) == expected


def test_login_redirect_variants_never_leave_the_site(browser):
    browser.register("ada@example.com")
    browser.logout()
    for raw in ("/%09/evil.com", "//evil.com", "/%0d%0aX:1", "https:evil.com"):
        browser.get("/login")
        response = browser.post(
            f"/login?next={raw}", {"email": "ada@example.com", "password": "correct horse battery"}
        )
        assert response.status_code == 302, raw
        assert response.headers["Location"] == "/runs/new", raw
        browser.logout()


def test_huge_ids_are_not_found_not_server_errors(browser, redis_conn):
    browser.register("ada@example.com")
    run_id = run_id_from(upload(browser))
    huge = str(2**63)
    for url in (f"/runs/{huge}", f"/runs/{2**70}/status", f"/library/{huge}"):
        assert browser.get(url).status_code == 404, url
    for gate_id in (huge, "1" * 40, "-1", "x"):
        response = browser.post(f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "approve"})
        assert response.status_code == 400, gate_id


def test_failed_logins_keep_redis_keys_small_and_pages_short(browser, redis_conn):
    browser.get("/login")
    response = browser.post("/login", {"email": "a" * 1_000_000 + "@x.io", "password": "nope"})
    assert response.status_code == 400
    assert len(response.data) < 20_000  # the email is not echoed back
    keys = [k for k in redis_conn.keys("tasteloop:login:*")]
    assert keys and all(len(k) < 100 for k in keys)
    assert sum(redis_conn.memory_usage(k) or 0 for k in keys) < 10_000


def test_csrf_token_changes_at_login(browser):
    browser.register("ada@example.com")
    browser.logout()
    before = CSRF.search(browser.get("/login").get_data(as_text=True)).group(1)
    browser.post("/login", {"email": "ada@example.com", "password": "correct horse battery"})
    after = browser.get("/history")
    token = CSRF.search(after.get_data(as_text=True)).group(1)
    assert token != before
    # the pre-login token no longer authorises a form
    response = browser.client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400


# sessions -----------------------------------------------------------------------------------
def _copy_cookies(source, target) -> None:
    for name in ("session", "remember_token"):
        cookie = source.client.get_cookie(name)
        if cookie is not None:
            target.client.set_cookie(name, cookie.value)


def _log_in_remembered(browser) -> None:
    browser.register("ada@example.com")
    browser.logout()
    browser.get("/login")
    browser.post(
        "/login", {"email": "ada@example.com", "password": "correct horse battery", "remember": "1"}
    )


def test_a_session_copied_before_logout_is_dead_after_it(browser, other_browser):
    _log_in_remembered(browser)
    assert browser.client.get_cookie("remember_token") is not None
    _copy_cookies(browser, other_browser)  # the thief's copy, session and remember-me
    assert other_browser.get("/history").status_code == 200
    browser.logout()
    assert other_browser.get("/history").status_code == 302  # sent to log in


def test_remember_me_alone_is_revoked_by_logout(browser, other_browser):
    _log_in_remembered(browser)
    remembered = browser.client.get_cookie("remember_token").value
    other_browser.client.set_cookie("remember_token", remembered)
    assert other_browser.get("/history").status_code == 200  # remember-me works on its own
    browser.logout()
    fresh = type(other_browser)(browser.client.application.test_client())
    fresh.client.set_cookie("remember_token", remembered)
    assert fresh.get("/history").status_code == 302


def test_password_change_needs_the_old_password_and_logs_out_other_sessions(browser, other_browser):
    browser.register("ada@example.com")
    other_browser.login("ada@example.com")
    assert other_browser.get("/history").status_code == 200
    browser.get("/account/")
    wrong = browser.post("/account/password", {"current": "guess", "new": "a new passphrase"})
    assert wrong.status_code == 400 and b"current password" in wrong.data
    short = browser.post("/account/password", {"current": "correct horse battery", "new": "short"})
    assert short.status_code == 400 and b"at least 8" in short.data
    assert other_browser.get("/history").status_code == 200  # nothing changed yet
    changed = browser.post(
        "/account/password", {"current": "correct horse battery", "new": "a new passphrase"}
    )
    assert changed.status_code == 302
    assert browser.get("/history").status_code == 200  # this browser stays in
    assert other_browser.get("/history").status_code == 302  # the other one is out
    browser.logout()
    assert browser.login("ada@example.com").status_code == 400  # old password
    assert browser.login("ada@example.com", "a new passphrase").status_code == 302


def test_two_registrations_of_one_email_at_once_give_one_account_and_no_500(app, database_url):
    """Both pass the 'exists?' check before either inserts; the UNIQUE index keeps one."""
    import threading

    from sqlalchemy import func, select

    from store.db import get_database
    from store.models import User
    from tests.support.web import Browser

    barrier = threading.Barrier(2)
    statuses: list[int] = []
    browsers = [Browser(app.test_client()) for _ in range(2)]
    for b in browsers:
        b.get("/register")

    import webapp.auth as auth

    real_create = auth.create_user

    def create_after_both_checked(*args, **kwargs):
        barrier.wait(timeout=10)
        return real_create(*args, **kwargs)

    auth.create_user = create_after_both_checked
    try:
        threads = [
            threading.Thread(
                target=lambda b=b: statuses.append(
                    b.post(
                        "/register", {"email": "same@example.com", "password": "longenough"}
                    ).status_code
                )
            )
            for b in browsers
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        auth.create_user = real_create
    assert sorted(statuses) == [302, 409]
    with get_database(database_url).session() as session:
        count = session.scalar(select(func.count(User.id)).where(User.email == "same@example.com"))
        assert count == 1


def test_the_count_is_checked_before_any_file_is_decoded(browser, database_url):
    import io

    from tests.support.images import png_bytes

    browser.register("ada@example.com")
    files = [(io.BytesIO(png_bytes()), f"{i}.png") for i in range(14)]
    files.append((io.BytesIO(b"not an image at all"), "junk.png"))
    body = upload(browser, files=files).get_data(as_text=True)
    assert "you sent 15" in body
    assert "junk.png" not in body  # had it been decoded, it would be named as not an image


def test_control_and_bidi_characters_never_reach_the_database(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = run_id_from(upload(browser, "van-gogh-swirling-landscapes"))
    work(redis_conn)
    _, response = confirm(
        browser,
        run_id,
        intent="a harbour\x00 at \u202edusk\u202c\x1b[2J",
        edit=lambda f: {"principles": "Quiet\x07 light\r\n\u2067Soft edges"},
    )
    assert response.status_code == 302
    with get_database(database_url).session() as session:
        run = run_row(session, run_id)
        assert run.intent == "a harbour at dusk[2J"
        assert run.current_version.data["principles"] == ["Quiet light", "Soft edges"]


def test_a_run_says_when_no_worker_is_running(browser, redis_conn):
    browser.register("ada@example.com")
    run_id = run_id_from(upload(browser, "van-gogh-swirling-landscapes"))

    def notice_shown() -> bool:
        return "No worker is running" in browser.get(f"/runs/{run_id}/status").get_data(
            as_text=True
        )

    assert notice_shown()
    heartbeat = Heartbeat(redis_conn, interval=0.1)
    heartbeat.start()
    try:
        while not workers_alive(redis_conn):
            time.sleep(0.05)
        assert not notice_shown()
    finally:
        heartbeat.stop()
        heartbeat.join()
    beat(redis_conn, "a-host-killed-long-ago:1", now=time.time() - 3600)
    assert notice_shown()
    work(redis_conn)  # extracted: waiting for the person, not for a worker
    assert not notice_shown()
