"""Every page passes axe-core (vendored in tests/browser/vendor, MPL-2.0) with no serious or
critical violation of WCAG 2.2 A/AA, at 1440 px and on a 390 px phone (#31)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.test_browser_flow import (
    confirm,
    create_admin,
    finish_run,
    login,
    register,
    upload_refs,
)

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = ((1440, 1000), (390, 844))


def _violations(page) -> list[str]:
    """axe's serious and critical findings on the page as it is, at each width."""
    found = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE)  # through the debugger: the page's CSP allows no injected script
        result = page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
            ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))",
            RULES,
        )
        found += [
            f"{page.url} at {width} px: {v['id']} ({v['impact']}): {v['help']} {v['nodes']}"
            for v in result
            if v["impact"] in ("serious", "critical")
        ]
    page.set_viewport_size({"width": 1440, "height": 1000})
    return found


def test_every_page_has_no_serious_accessibility_violation(live_server, page_factory):
    base = live_server["url"]
    page = page_factory()
    problems: list[str] = []
    for path in ("/", "/login", "/register", "/no-such-page"):
        page.goto(f"{base}{path}")
        problems += _violations(page)
    register(page, base, "ally@example.com")
    problems += _violations(page)  # the upload page
    upload_refs(page, base, "expressionist-vivid-color")
    page.locator("textarea[name=principles]").wait_for()
    problems += _violations(page)  # confirm
    run_url = page.url
    confirm(page, threshold="9.9", gate_low="0.1", max_iterations="2")
    page.locator("button:has-text('yes — approve')").wait_for(timeout=120_000)
    problems += _violations(page)  # the gate
    page.click("button:has-text('almost — keep iterating')")
    page.locator("#iteration-2").wait_for(timeout=120_000)
    finish_run(page)  # the second picture may open the gate too, a moment after its card
    problems += _violations(page)  # a finished run
    page.goto(f"{run_url}/compare?a=1&b=2")
    problems += _violations(page)
    page.goto(run_url)
    page.fill("input[name=name]", "Bright and loud")
    page.click("button:has-text('Save to library')")
    page.wait_for_url(re.compile(r".*/library/\d+$"))
    problems += _violations(page)  # a library entry
    for path in ("/library/", "/history", "/account/"):
        page.goto(f"{base}{path}")
        problems += _violations(page)
    page.goto(run_url)
    page.click("summary:has-text('A series in this taste')")
    page.fill("textarea[name=intents]", "a harbour at dusk\na city street in the rain")
    page.click("button:has-text('Make the series')")
    page.wait_for_url(re.compile(r".*/series/[\w-]+$"))
    problems += _violations(page)

    create_admin(live_server["env"], "axe-admin@example.com")
    admin = page_factory()
    login(admin, base, "axe-admin@example.com")
    for path in ("/admin/", "/admin/decisions", "/admin/users", "/admin/runs"):
        admin.goto(f"{base}{path}")
        problems += _violations(admin)
    assert not problems, "\n".join(problems)
