"""Accounts against an attacker: who becomes an admin, one-time reset links, weak passwords and
addresses, registration limits, and rate limits behind a reverse proxy."""

from __future__ import annotations

import logging
import re
import threading

import pytest
from sqlalchemy import select

from store.db import get_database
from store.models import User
from tests.support.web import Browser, register_admin

LINK = re.compile(r"https?://[^/\s]+(/(?:admin-claim|reset)/[\w.\-]+)")


def user_row(database_url: str, email: str) -> User:
    with get_database(database_url).session() as session:
        return session.scalar(select(User).where(User.email == email))


def _claim_link(caplog) -> str:
    (path,) = {m.group(1) for r in caplog.records for m in LINK.finditer(r.getMessage())}
    return path


def test_a_listed_admin_address_must_prove_itself_with_the_logged_one_time_link(
    browser, other_browser, app, database_url, caplog
):
    app.config["ADMIN_EMAILS"] = {"boss@example.com"}
    caplog.set_level(logging.WARNING)
    other_browser.register("eve@example.com")
    assert not caplog.records  # an unlisted address gets no link
    response = browser.register("boss@example.com")
    assert response.status_code == 302
    assert "server log" in browser.get("/runs/new").get_data(as_text=True)
    assert browser.get("/admin/").status_code == 403  # registering alone proves nothing
    path = _claim_link(caplog)

    assert other_browser.get(path).status_code == 403  # someone else's account cannot use it
    assert other_browser.post(path).status_code == 403
    page = browser.get(path)
    assert page.status_code == 200 and "administrator" in page.get_data(as_text=True)
    assert browser.post(path, csrf=False).status_code == 400
    assert not user_row(database_url, "boss@example.com").is_admin
    assert browser.post(path).status_code == 302
    assert user_row(database_url, "boss@example.com").is_admin
    assert browser.get("/admin/").status_code == 200
    assert browser.get(path).status_code == 410  # once only


def test_an_admin_claim_link_dies_when_the_address_is_no_longer_listed(
    browser, app, database_url, caplog
):
    app.config["ADMIN_EMAILS"] = {"boss@example.com"}
    caplog.set_level(logging.WARNING)
    browser.register("boss@example.com")
    path = _claim_link(caplog)
    app.config["ADMIN_EMAILS"] = set()
    assert browser.post(path).status_code == 410
    assert not user_row(database_url, "boss@example.com").is_admin


def _issue_reset_link(admin: Browser, user_id: int) -> str:
    admin.get("/admin/users")
    response = admin.post(f"/admin/users/{user_id}/reset-link")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    (path,) = LINK.findall(response.get_data(as_text=True))
    return path


def test_an_admin_issues_a_one_time_reset_link(app, browser, other_browser, database_url):
    browser.register("ada@example.com", "first password 1")
    ada = user_row(database_url, "ada@example.com").id
    register_admin(app, other_browser, "root@example.com")
    assert browser.post(f"/admin/users/{ada}/reset-link").status_code == 403
    assert other_browser.post(f"/admin/users/{ada}/reset-link", csrf=False).status_code == 400
    path = _issue_reset_link(other_browser, ada)

    stranger = Browser(app.test_client())
    assert "ada@example.com" in stranger.get(path).get_data(as_text=True)
    weak = stranger.post(path, {"new": "12345678"})
    assert weak.status_code == 400 and b"first anyone would guess" in weak.data
    assert stranger.post(path, {"new": "a brand new secret"}, csrf=False).status_code == 400
    assert stranger.post(path, {"new": "a brand new secret"}).status_code == 302
    assert browser.get("/history").status_code == 302  # ada's open session was ended
    assert browser.login("ada@example.com", "first password 1").status_code == 400
    assert browser.login("ada@example.com", "a brand new secret").status_code == 302
    assert stranger.get(path).status_code == 410  # spent
    assert stranger.post(path, {"new": "another new secret"}).status_code == 410


def test_a_reset_link_used_six_times_at_once_sets_the_password_once(
    app, browser, other_browser, database_url
):
    browser.register("ada@example.com", "first password 1")
    ada = user_row(database_url, "ada@example.com").id
    register_admin(app, other_browser, "root@example.com")
    path = _issue_reset_link(other_browser, ada)
    strangers = [Browser(app.test_client()) for _ in range(6)]
    for stranger in strangers:
        page = stranger.get(path)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    barrier = threading.Barrier(len(strangers))
    codes: list[int] = []

    def use(stranger: Browser, k: int) -> None:
        barrier.wait()
        codes.append(stranger.post(path, {"new": f"a new secret number {k}"}).status_code)

    threads = [threading.Thread(target=use, args=(s, k)) for k, s in enumerate(strangers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [302] + [410] * 5


def test_a_reset_link_expires_and_cannot_be_forged(app, browser, other_browser, database_url):
    browser.register("ada@example.com")
    ada = user_row(database_url, "ada@example.com").id
    register_admin(app, other_browser, "root@example.com")
    path = _issue_reset_link(other_browser, ada)
    assert other_browser.get(path.replace("/reset/", "/admin-claim/")).status_code == 410
    assert other_browser.get(path[:-3] + "abc").status_code == 410
    assert other_browser.get("/reset/" + "x" * 5000).status_code == 410
    app.config["RESET_LINK_SECONDS"] = -1
    assert other_browser.get(path).status_code == 410
    assert other_browser.post(path, {"new": "a brand new secret"}).status_code == 410


@pytest.mark.parametrize(
    "password",
    ["        ", "12345678", "aaaaaaaaaaaa", "abababab", "Password1", "ada@example.com"],
)
def test_weak_passwords_are_refused(browser, password):
    response = browser.register("ada@example.com", password)
    assert response.status_code == 400, password
    assert browser.get("/runs/new").status_code == 302  # not registered


@pytest.mark.parametrize(
    "email", ["@", "a@b", "ada@", "@example.com", "a b@example.com", "ada\x00@example.com"]
)
def test_addresses_that_cannot_be_mail_addresses_are_refused(browser, email):
    response = browser.register(email)
    assert response.status_code == 400 and b"valid email address" in response.data


def test_registrations_are_limited_per_client(app, browser):
    app.config["REGISTER_ATTEMPTS"] = 3
    for i in range(3):
        assert browser.register(f"taken{i}@example", "x").status_code == 400
    blocked = browser.register("fresh@example.com")
    assert blocked.status_code == 429 and b"Too many registrations" in blocked.data


def _failed_logins(browser: Browser, forwarded_for: str, count: int) -> list[int]:
    browser.get("/login")
    return [
        browser.client.post(
            "/login",
            data={"email": "ada@example.com", "password": "wrong", "csrf_token": browser.token},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code
        for _ in range(count)
    ]


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_login_limit_keys_on_the_address_the_trusted_proxies_report(
    proxies, env, monkeypatch, database_url, tmp_path
):
    from webapp import create_app

    monkeypatch.setenv("TASTELOOP_TRUSTED_PROXIES", str(proxies))
    app = create_app({"DATA_DIR": tmp_path / "d", "DATABASE_URL": database_url, "SECRET_KEY": "s"})
    app.config["LOGIN_ATTEMPTS"] = 2
    attacker, victim = Browser(app.test_client()), Browser(app.test_client())
    assert _failed_logins(attacker, "203.0.113.9", 3) == [400, 400, 429]
    victims_view = _failed_logins(victim, "198.51.100.7", 1)
    # behind one trusted proxy the victim is a different client; with none, the header is
    # ignored, so an attacker cannot pick a fresh address per attempt either
    assert victims_view == ([400] if proxies else [429])


def test_an_untrusted_proxy_count_is_refused(env, monkeypatch, database_url, tmp_path):
    from webapp import create_app

    monkeypatch.setenv("TASTELOOP_TRUSTED_PROXIES", "lots")
    with pytest.raises(ValueError, match="TASTELOOP_TRUSTED_PROXIES"):
        create_app({"DATA_DIR": tmp_path / "d", "DATABASE_URL": database_url, "SECRET_KEY": "s"})


def test_fresh_emails_do_not_buy_fresh_password_guesses(app, browser):
    """Guesses are counted per client whatever the email: the 150 fresh emails of the red-team
    pass each got a full scrypt check."""
    app.config["PASSWORD_ATTEMPTS"] = 3
    browser.get("/login")
    codes = [
        browser.post("/login", {"email": f"guess{k}@example.com", "password": "wrong"}).status_code
        for k in range(5)
    ]
    assert codes == [400, 400, 400, 429, 429]


def test_the_account_pages_limit_current_password_guesses(app, browser):
    browser.register("ada@example.com")
    app.config["PASSWORD_ATTEMPTS"] = 2
    browser.get("/account/")
    wrong = {"current": "not it", "new": "a much better secret"}
    assert browser.post("/account/password", wrong).status_code == 400
    assert browser.post("/account/delete", {"password": "not it"}).status_code == 400
    refused = browser.post("/account/delete", {"password": "correct horse battery"})
    assert refused.status_code == 429 and b"Too many wrong passwords" in refused.data
    assert browser.get("/history").status_code == 200  # the account is still there


def test_an_ipv6_client_is_its_slash_64(app):
    from webapp.rate_limit import client

    with app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}):
        first = client()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:2:ffff::9"}):
        assert client() == first == "2001:db8:1:2::/64"
    with app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"}):
        assert client() != first
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        assert client() == "203.0.113.9"


def test_sign_ups_are_limited_on_the_whole_site(app):
    """A crowd of addresses cannot make accounts without end: the site-wide count holds."""
    app.config["SITE_SIGNUPS"] = 2
    codes = []
    for k in range(3):
        visitor = Browser(app.test_client())
        visitor.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{k + 1}"
        codes.append(visitor.register(f"person{k}@example.com").status_code)
    assert codes == [302, 302, 429]


def test_the_operator_can_delete_an_account_someone_registered_with_anothers_address(
    app, browser, database_url
):
    """A listed admin address registered first by someone else: the operator deletes it and
    the owner registers."""
    app.config["ADMIN_EMAILS"] = {"boss@example.com"}
    browser.register("boss@example.com")
    result = app.test_cli_runner().invoke(args=["delete-user", "boss@example.com", "--yes"])
    assert result.exit_code == 0, result.output
    with get_database(database_url).sessions() as session:
        assert session.scalar(select(User).where(User.email == "boss@example.com")) is None
    owner = Browser(app.test_client())
    assert owner.register("boss@example.com").status_code == 302
    missing = app.test_cli_runner().invoke(args=["delete-user", "nobody@example.com", "--yes"])
    assert missing.exit_code != 0 and "no account" in missing.output
