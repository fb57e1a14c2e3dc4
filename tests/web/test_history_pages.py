"""History at any size: keyset pages newest first, search by the intent's words, filters by how
a run ended; a person sees only their own runs, an admin everyone's."""

from __future__ import annotations

import re

from sqlalchemy import select

from store.db import get_database
from store.models import Phase, Run, User
from tests.support.web import register_admin
from tests.support.webflow import PUBLIC_ID

ROW = re.compile(rf'<a href="/runs/({PUBLIC_ID})" class="history-row">')


def _runs_for(database_url: str, email: str, count: int, **fields) -> list[str]:
    """Made oldest first; returns their public ids in that order."""
    with get_database(database_url).session() as session:
        user = session.scalar(select(User).where(User.email == email))
        runs = [
            Run(user_id=user.id, phase=Phase.DONE, outcome="converged", intent=f"harbour {k}")
            for k in range(count)
        ]
        for run in runs:
            for name, value in fields.items():
                setattr(run, name, value)
        session.add_all(runs)
        session.flush()
        return [r.public_id for r in sorted(runs, key=lambda r: r.id)]


def _page(browser, url: str) -> tuple[list[str], str | None]:
    html = browser.get(url).get_data(as_text=True)
    older = re.search(r'<a href="([^"]+)" rel="next">', html)
    return ROW.findall(html), older.group(1).replace("&amp;", "&") if older else None


def test_a_long_history_comes_a_page_at_a_time_newest_first(browser, other_browser, database_url):
    browser.register("ada@example.com")
    other_browser.register("bo@example.com")
    mine = _runs_for(database_url, "ada@example.com", 120)
    theirs = _runs_for(database_url, "bo@example.com", 5)
    seen, url, pages = [], "/history", 0
    while url:
        ids, url = _page(browser, url)
        seen += ids
        pages += 1
        assert len(ids) <= 50
        assert url is None or re.search(rf"before={ids[-1]}(&|$)", url)  # a public id, no key
    assert pages == 3 and seen == mine[::-1]  # every run once, newest first
    assert not set(theirs) & set(seen)


def test_history_is_searched_by_intent_and_filtered_by_outcome(browser, database_url):
    browser.register("ada@example.com")
    _runs_for(database_url, "ada@example.com", 3)
    lighthouse = _runs_for(database_url, "ada@example.com", 1, intent="A lighthouse 100% lit")
    stopped = _runs_for(database_url, "ada@example.com", 2, outcome="stopped")
    failed = _runs_for(database_url, "ada@example.com", 1, phase=Phase.FAILED, outcome=None)
    assert _page(browser, "/history?q=LIGHTHOUSE")[0] == lighthouse
    assert (
        _page(browser, "/history?q=100%25")[0] == lighthouse
    )  # a % is a character, not a wildcard
    assert _page(browser, "/history?q=_")[0] == []
    assert _page(browser, "/history?outcome=stopped")[0] == stopped[::-1]
    assert _page(browser, "/history?outcome=failed")[0] == failed
    assert _page(browser, "/history?outcome=stopped&q=harbour")[0] == stopped[::-1]
    nothing = browser.get("/history?q=zebra").get_data(as_text=True)
    assert "No runs match" in nothing
    # nonsense in the address is ignored, not an error
    assert browser.get("/history?outcome=<x>&before=-5&q=" + "x" * 5000).status_code == 200


def test_the_admin_pages_everyones_runs(app, browser, other_browser, database_url):
    browser.register("ada@example.com")
    register_admin(app, other_browser, "root@example.com")
    mine = _runs_for(database_url, "ada@example.com", 60)
    ids, older = _page(other_browser, "/admin/runs")
    assert ids == mine[::-1][:50] and older
    rest, last = _page(other_browser, older)
    assert rest == mine[::-1][50:] and last is None


def test_a_runs_state_reads_as_words_never_as_its_raw_value(browser, database_url):
    browser.register("ada@example.com")
    _runs_for(database_url, "ada@example.com", 1, outcome="max_iterations")
    _runs_for(database_url, "ada@example.com", 1, phase=Phase.FAILED, outcome=None)
    _runs_for(database_url, "ada@example.com", 1, phase=Phase.GATED, outcome=None)
    page = browser.get("/history").get_data(as_text=True)
    badges = re.findall(r'<span class="phase-badge[^"]*">([^<]+)</span>', page)
    assert badges == ["Waiting for your decision", "Stopped by an error", "Best at the cap"]
    assert "max_iterations" not in page.split('<ul class="history">')[1]
