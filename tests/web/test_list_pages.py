"""The admin's decisions and accounts and everyone's library come a keyset page at a time, newest
first (#31), with no row twice and none missing across pages."""

import re

import pytest

import webapp.pages
from tests.support.web import Browser, register_admin, work
from tests.support.webflow import PUBLIC_ID, gate_id_on, save_to_library, start_run


def _walk(browser, path, row_pattern):
    """Every row across the pages, following "Older" links."""
    seen, url = [], path
    while url:
        page = browser.get(url).get_data(as_text=True)
        seen += re.findall(row_pattern, page)
        older = re.search(r'<a href="([^"]+before=\d+[^"]*)" rel="next">', page)
        url = older.group(1).replace("&amp;", "&") if older else None
        if url:
            assert "← Newest" in browser.get(url).get_data(as_text=True)
    return seen


@pytest.fixture
def two_a_page(monkeypatch):
    monkeypatch.setattr(webapp.pages, "PAGE_SIZE", 2)


def test_decisions_and_accounts_page_newest_first(app, browser, redis_conn, two_a_page):
    browser.register("ada@example.com")
    for k in (1, 2, 3):
        run_id, _ = start_run(
            browser,
            redis_conn,
            intent=f"a harbour, take {k}",
            threshold="9.9",
            gate_low="0.1",
            max_iterations="1",
        )
        work(redis_conn)
        page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
        browser.post(f"/runs/{run_id}/gate", {"gate_id": gate_id_on(page), "decision": "approve"})
    admin = Browser(app.test_client())
    register_admin(app, admin, "root@example.com")
    Browser(app.test_client()).register("bea@example.com")
    intents = _walk(admin, "/admin/decisions", rf'href="/runs/{PUBLIC_ID}">“([^”]+)”<')
    assert intents == [f"a harbour, take {k}" for k in (3, 2, 1)]
    emails = _walk(admin, "/admin/users", r'data-label="Email">([^<]+)<')
    assert emails == ["bea@example.com", "root@example.com", "ada@example.com"]


def test_the_library_pages_newest_first(browser, redis_conn, two_a_page):
    browser.register("ada@example.com")
    names = []
    for k, refs in enumerate(
        ("geometric-abstraction", "van-gogh-swirling-landscapes", "cubist-dynamism-1913")
    ):
        run_id, _ = start_run(
            browser, redis_conn, set_name=refs, threshold="9.9", gate_low="9.8", max_iterations="1"
        )
        work(redis_conn)
        save_to_library(browser, run_id, f"Taste {k}")
        names.append(f"Taste {k}")
    shown = _walk(browser, "/library/", r"<h2[^>]*>\s*<a[^>]*>(Taste \d)</a>")
    assert shown == names[::-1]


def test_history_filters_by_library_taste_and_shows_a_gallery(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    first, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="1")
    work(redis_conn)
    profile_id = save_to_library(browser, first, "Swirls")
    response = browser.post(
        f"/library/{profile_id}/start",
        {
            "intent": "from the library",
            "max_iterations": "1",
            "threshold": "9.9",
            "gate_low": "9.8",
            "candidates": "1",
            "style_strength": "100",
        },
    )
    assert response.status_code == 302
    other, _ = start_run(
        browser,
        redis_conn,
        set_name="geometric-abstraction",
        intent="not from it",
        threshold="9.9",
        gate_low="9.8",
        max_iterations="1",
    )
    work(redis_conn)
    listing = browser.get("/history").get_data(as_text=True)
    assert f'<option value="{profile_id}">Swirls</option>' in listing
    filtered = browser.get(f"/history?taste={profile_id}").get_data(as_text=True)
    # the saved run and the one started from the library used the taste; the other did not
    assert "from the library" in filtered and "not from it" not in filtered
    gallery = browser.get("/history?view=gallery").get_data(as_text=True)
    assert 'class="series-grid gallery"' in gallery
    assert gallery.count("?w=320") == 3 and "not from it" in gallery
