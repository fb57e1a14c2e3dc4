"""The whole product in a real headless Chromium against a live server started like `make run`."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.browser.conftest import ROOT, screenshot
from tests.support.refsets import set_dir
from tests.support.webflow import PUBLIC_ID

PASSWORD = "a fine long passphrase"


def register(page, base: str, email: str) -> None:
    page.goto(f"{base}/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/runs/new$"))


def login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/runs/new$"))


def create_admin(env: dict[str, str], email: str) -> None:
    """An admin the way an operator makes one on the live server: `flask create-user --admin`."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "create-user", email]
        + ["--password", PASSWORD, "--admin"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def logout(page) -> None:
    page.click("nav button:has-text('Log out')")
    page.wait_for_url(re.compile(r".*/login$"))


def upload_refs(page, base: str, set_name: str, shots: bool = False) -> None:
    page.goto(f"{base}/runs/new")
    files = sorted(str(p) for p in set_dir(set_name).glob("*.jpg"))[:3]
    page.set_input_files("input[name=images]", files)
    page.wait_for_selector("#previews figure >> nth=2")
    if shots:
        screenshot(page, "01-upload")
    page.click("button:has-text('Extract taste')")
    page.wait_for_url(re.compile(rf".*/runs/{PUBLIC_ID}$"))


def confirm(
    page,
    *,
    threshold: str,
    gate_low: str,
    max_iterations: str,
    edit: bool = False,
    intent: str = "a harbour at dusk",
    shots: bool = False,
    aspect: str | None = None,
) -> None:
    principles = page.locator("textarea[name=principles]")
    principles.wait_for()
    if edit:
        first = principles.input_value().splitlines()
        principles.fill("\n".join(["Moonlight over everything", *first[1:]]))
        page.fill("input[name=avoid_text]", "neon colour, crowded frames, text")
        # the style controls are plain number fields beside each reference's thumbnail
        page.fill("input[name=style_strength]", "70")
        page.fill("input[name=weight_3]", "0")
    page.fill("input[name=intent]", intent)
    if aspect:
        page.select_option("select[name=aspect]", aspect)
    page.click("summary:has-text('Loop settings')")
    page.fill("input[name=max_iterations]", max_iterations)
    page.fill("input[name=threshold]", threshold)
    page.fill("input[name=gate_low]", gate_low)
    if shots:
        screenshot(page, "02-confirm")
    page.click("button:has-text('Confirm & generate')")


def test_the_whole_flow(live_server, page_factory):
    base = live_server["url"]
    page = page_factory()
    register(page, base, "ada@example.com")
    upload_refs(page, base, "van-gogh-swirling-landscapes", shots=True)
    run_url = page.url

    # the profile appears without a page reload: a marker set now must survive
    page.evaluate("window.__stillHere = true")
    page.locator("textarea[name=principles]").wait_for()
    assert page.evaluate("window.__stillHere") is True
    assert page.locator("textarea[name=palette_tendency]").input_value().strip()
    assert page.locator("fieldset.swatch-editor input[type=color]").count() >= 3

    confirm(page, threshold="9.9", gate_low="0.1", max_iterations="4", edit=True, shots=True)
    page.wait_for_url(run_url)
    page.locator("li.card").first.wait_for()
    screenshot(page, "03-generating")

    # a gate opens (the score lands between 0.1 and 9.9): keep iterating once
    page.locator("button:has-text('almost — keep iterating')").wait_for()
    assert page.locator("button:has-text('yes — approve')").is_visible()
    assert page.locator("button:has-text('no — restart')").is_visible()
    screenshot(page, "04-gate")
    page.fill("input[name=note]", "much warmer, fewer boats")
    page.click("button:has-text('almost — keep iterating')")
    page.locator("li.card").nth(1).wait_for()
    # the note, and what the offline engine made of it, show on the first iteration's card
    noted = page.locator("li.card", has_text="Iteration 1")
    noted.locator("text=Could not act on: boats").wait_for()
    assert "warmth +4" in noted.inner_text()
    page.locator("button:has-text('yes — approve')").wait_for()
    page.click("button:has-text('yes — approve')")
    page.locator("h2:has-text('Approved by you')").wait_for()
    final_src = page.locator(".final-image img").get_attribute("src")
    assert final_src and "/images/" in final_src
    assert page.locator("a:has-text('Download image')").is_visible()
    screenshot(page, "05-done")

    # history survives logging out and in again
    logout(page)
    login(page, base, "ada@example.com")
    page.goto(f"{base}/history")
    assert page.locator(f"a[href='{run_url.replace(base, '')}']").count() == 1
    assert "a harbour at dusk" in page.content()
    assert "style 70 % · weights 1, 1, 0" in page.content()
    screenshot(page, "06-history")

    # another user cannot open the run
    other = page_factory()
    register(other, base, "eve@example.com")
    response = other.goto(run_url)
    assert response.status == 404
    assert "Not found" in other.content()


def test_admin_decides_a_pending_gate_from_the_review_queue(live_server, page_factory):
    base = live_server["url"]
    create_admin(live_server["env"], "admin@example.com")
    user = page_factory()
    register(user, base, "gus@example.com")
    upload_refs(user, base, "geometric-abstraction")
    confirm(user, threshold="9.9", gate_low="0.1", max_iterations="3", intent="a city at noon")
    user.locator("button:has-text('yes — approve')").wait_for()
    run_url = user.url

    admin = page_factory()
    login(admin, base, "admin@example.com")
    admin.goto(f"{base}/admin/")
    gate = admin.locator("section.gate", has_text="gus@example.com")
    gate.wait_for()
    screenshot(admin, "07-admin-queue")
    gate.locator("button:has-text('yes — approve')").click()
    admin.wait_for_url(re.compile(r".*/admin/$"))
    admin.goto(f"{base}/admin/decisions")
    assert "admin@example.com" in admin.content() and ">approved</td>" in admin.content()
    user.goto(run_url)
    user.locator("h2:has-text('Approved by you')").wait_for()

    # the admin's tables are readable on a phone: no sideways scrolling, each row labelled
    phone = page_factory(width=390, height=844)
    login(phone, base, "admin@example.com")
    for path, shot in (("/admin/decisions", "14-admin-decisions-phone"), ("/admin/users", None)):
        phone.goto(f"{base}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at 390 px"
        if shot:
            screenshot(phone, shot)


def test_text_file_renamed_png_shows_error_next_to_form(live_server, page_factory, tmp_path):
    base = live_server["url"]
    page = page_factory()
    register(page, base, "tom@example.com")
    fake = tmp_path / "holiday.png"
    fake.write_text("these are my holiday notes, not a picture")
    good = sorted(str(p) for p in set_dir("geometric-abstraction").glob("*.jpg"))[:2]
    page.goto(f"{base}/runs/new")
    page.set_input_files("input[name=images]", [*good, str(fake)])
    # the page names it before anything is sent, and will not send it
    page.locator("figcaption:has-text('holiday.png: not an image')").wait_for()
    assert page.locator("button:has-text('Extract taste')").is_disabled()
    # sent anyway (a browser without the check), the server refuses it by name, next to the form
    page.evaluate("document.querySelector('form.upload').submit()")
    error = page.locator("#form-errors")
    error.wait_for()
    assert "holiday.png" in error.inner_text() and "not an image" in error.inner_text()
    assert page.locator("input[name=images]").is_visible()


def test_pages_fit_a_phone(live_server, page_factory):
    base = live_server["url"]
    page = page_factory(width=390, height=844)
    register(page, base, "mo@example.com")
    upload_refs(page, base, "monochrome-ink-and-etching")
    page.locator("textarea[name=principles]").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"horizontal scroll at 390 px: {width}"
    screenshot(page, "08-confirm-phone")
    # the run's state comes right after its title on a phone (it sat at y = 670 under the
    # chips, the save form, the references and the delete link)
    confirm(page, threshold="9.9", gate_low="9.8", max_iterations="2", aspect="16:9")
    page.locator(".done").wait_for()
    status = page.locator(".status-line").bounding_box()
    title = page.locator("h1.run-title").bounding_box()
    assert status["y"] < title["y"] + title["height"] + 40, (status, title)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "15-run-phone")


def test_library_save_reextract_and_reuse(live_server, page_factory):
    base = live_server["url"]
    page = page_factory()
    register(page, base, "lin@example.com")
    upload_refs(page, base, "monochrome-ink-and-etching")
    confirm(page, threshold="1.0", gate_low="0.5", max_iterations="3", intent="a quiet harbour")
    page.locator("h2:has-text('Converged')").wait_for()

    page.fill("form.save-library input[name=name]", "Ink and silence")
    page.click("button:has-text('Save to library')")
    page.wait_for_url(re.compile(r".*/library/\d+$"))
    profile_url = page.url

    # re-extraction is explicit; the new version appears without a reload
    page.evaluate("window.__stillHere = true")
    page.click("button:has-text('Re-extract from the references')")
    page.locator("a:has-text('Compare it with version 1')").wait_for()
    page.click("a:has-text('Compare it with version 1')")
    assert page.locator("section.panel h2:has-text('Version 1')").is_visible()
    assert page.locator("section.panel h2:has-text('Version 2')").is_visible()

    page.goto(f"{base}/library/")
    assert page.locator("a:has-text('Ink and silence')").is_visible()
    assert "used by 1 run" in page.content()
    screenshot(page, "09-library")

    page.goto(profile_url)
    # the re-extraction is offered, not taken: new runs start from the person's version
    assert page.locator("text=new runs still start from version 1, your choice").is_visible()
    page.click("a:has-text('open version 2')")
    page.click("button:has-text('Start new runs from version 2')")
    page.locator("text=New runs now start from version 2").wait_for()
    screenshot(page, "10-library-profile")
    page.fill("form.start-run input[name=intent]", "a lighthouse in fog")
    page.click("form.start-run button:has-text('Generate')")
    page.wait_for_url(re.compile(rf".*/runs/{PUBLIC_ID}$"))
    page.locator("li.card").first.wait_for()
    assert page.locator("a:has-text('from library: Ink and silence v2')").is_visible()


def _drop(page, selector: str, files: list[tuple[str, str, bytes]]) -> None:
    import base64

    payload = [(name, mime, base64.b64encode(data).decode()) for name, mime, data in files]
    transfer = page.evaluate_handle(
        """(files) => {
          const dt = new DataTransfer();
          for (const [name, type, b64] of files) {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            dt.items.add(new File([bytes], name, { type }));
          }
          return dt;
        }""",
        payload,
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_the_uploader_takes_drops_adds_removes_and_names_an_unreadable_file(
    live_server, page_factory
):
    """Dropping a file used to open it in the tab and leave the app; a choice could not be
    changed one file at a time; a broken file showed a broken icon while the count said fine."""
    base = live_server["url"]
    page = page_factory()
    register(page, base, "dee@example.com")
    page.goto(f"{base}/runs/new")
    refs = sorted(set_dir("geometric-abstraction").glob("*.jpg"))
    submit = page.locator("button:has-text('Extract taste')")
    _drop(
        page,
        ".dropzone",
        [(p.name, "image/jpeg", p.read_bytes()) for p in refs[:2]]
        + [("notes.png", "image/png", b"this is not a picture")],
    )
    page.locator("#previews figure.unreadable").wait_for()
    assert page.url.endswith("/runs/new")  # still in the app
    assert page.locator("#previews figure").count() == 3
    assert "cannot be read" in page.locator("p.upload-count").inner_text()
    assert submit.is_disabled()
    page.click("button[aria-label='Remove notes.png']")
    assert page.locator("#previews figure").count() == 2 and submit.is_disabled()
    page.set_input_files("input[name=images]", [str(refs[2])])  # the picker adds to the choice
    page.locator("#previews figure >> nth=2").wait_for()
    assert page.locator("p.upload-count").inner_text() == "3 images chosen"
    assert submit.is_enabled()
    screenshot(page, "11-upload-choices")
    submit.click()
    page.wait_for_url(re.compile(rf".*/runs/{PUBLIC_ID}$"))
    assert page.locator("img[alt^='reference']").count() == 3  # exactly what was shown was sent


def test_a_finished_runs_pictures_open_large_compare_and_one_becomes_the_result(
    live_server, page_factory
):
    """Pictures could only be downloaded: now they open large (arrows move, Escape closes, Enter
    opens), two iterations compare side by side, and any iteration can be made the result."""
    base = live_server["url"]
    page = page_factory()
    register(page, base, "flo@example.com")
    upload_refs(page, base, "van-gogh-swirling-landscapes")
    run_url = page.url
    confirm(page, threshold="10", gate_low="9.9", max_iterations="3", aspect="16:9")
    page.wait_for_url(run_url)
    page.locator("h2:has-text('Best of 3')").wait_for(timeout=120_000)
    assert page.locator(".chip.shape").inner_text() == "16:9 landscape · 1K"
    # polled: the picture may still be loading when the heading appears
    size = [0, 0]
    for _ in range(200):
        size = page.evaluate(
            "(() => { const i = document.querySelector('.final-image img');"
            " return [i.naturalWidth, i.naturalHeight]; })()"
        )
        if size[1]:
            break
        page.wait_for_timeout(50)
    assert abs(size[0] / size[1] - 16 / 9) < 0.02, size

    links = page.locator("a.enlarge")
    first = page.locator("#iteration-1 a.enlarge")
    first.click()
    viewer = page.locator("dialog#viewer")
    viewer.wait_for()
    caption = viewer.locator("figcaption")
    assert caption.inner_text().startswith("iteration 1 (")
    total = int(re.search(r"of (\d+)\)", caption.inner_text()).group(1))
    assert total == 6  # three references and three iterations (the result is one of them)
    assert viewer.locator("img").get_attribute("src").endswith("?w=1024")
    page.keyboard.press("ArrowRight")
    assert caption.inner_text() != "" and not caption.inner_text().startswith("iteration 1 (")
    page.keyboard.press("ArrowLeft")
    assert caption.inner_text().startswith("iteration 1 (")
    # polled from here: wait_for_function evaluates its string in the page, which the CSP forbids
    for _ in range(200):
        if page.evaluate("document.querySelector('#viewer img').naturalWidth > 0"):
            break
        page.wait_for_timeout(50)
    screenshot(page, "12-viewer", full_page=False)
    page.keyboard.press("Escape")
    assert not viewer.is_visible()
    assert page.evaluate("document.activeElement.closest('#iteration-1') !== null")
    page.keyboard.press("Enter")  # the focused link opens it again
    viewer.wait_for()
    page.keyboard.press("Escape")
    assert links.count() > total  # the same picture linked twice is shown once

    # copy the prompt
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#iteration-1 summary")
    page.click("#iteration-1 button:has-text('Copy prompt')")
    page.locator("#iteration-1 button:has-text('Copied')").wait_for()
    prompt = page.locator("#prompt-1").inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == prompt

    # compare two iterations, then make iteration 1 the result from the comparison
    page.select_option("select[name=a]", "1")
    page.select_option("select[name=b]", "3")
    page.click("button:has-text('Compare')")
    page.wait_for_url(re.compile(r".*/compare\?a=1&b=3$"))
    assert page.locator(".compare-side").count() == 2
    screenshot(page, "13-compare")
    if page.locator("button:has-text('Use iteration 1 as the result')").count():
        page.click("button:has-text('Use iteration 1 as the result')")
    else:  # iteration 1 was the loop's result: choose 3 instead
        page.click("button:has-text('Use iteration 3 as the result')")
    page.wait_for_url(re.compile(rf".*/runs/{PUBLIC_ID}(#run-live)?$"))
    page.locator("strong:has-text('your choice')").wait_for()
    assert page.locator("li.card.chosen .result-mark").inner_text() == "✓ The result, your choice"
    page.goto(f"{base}/history")
    assert "result chosen by you" in page.content()


def test_a_series_and_variations_from_the_keyboard(live_server, page_factory):
    """A series of intents in one taste and "More like this", driven by the keyboard alone:
    the series page shows each run's result side by side as they finish (it keeps listening)."""
    base = live_server["url"]
    page = page_factory()
    register(page, base, "kim@example.com")
    upload_refs(page, base, "expressionist-vivid-color")
    run_url = page.url
    confirm(page, threshold="10", gate_low="9.9", max_iterations="1")
    page.wait_for_url(run_url)
    finish_run(page)

    page.focus("#series > summary")
    page.keyboard.press("Enter")  # opens the fold
    page.focus("textarea[name=intents]")
    page.keyboard.type("a harbour at dusk\na city street in the rain")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Make the series"
    page.wait_for_url(re.compile(r".*/series/[\w-]+$"))
    page.locator("#series-runs img").nth(1).wait_for(timeout=120_000)  # both results arrive
    assert page.locator(".series-intent").all_inner_texts() == [
        "“a harbour at dusk”",
        "“a city street in the rain”",
    ]
    screenshot(page, "16-series")

    page.goto(run_url)
    page.focus("#iteration-1 button:has-text('More like this')")
    page.keyboard.press("Enter")
    page.wait_for_url(
        lambda url: url != run_url and re.search(rf"/runs/{PUBLIC_ID}$", url) is not None
    )
    page.locator("a.chip:has-text('variations of iteration')").wait_for()
    finish_run(page)
    assert page.locator(".candidates figure").count() == 4  # four variations, each shown


def finish_run(page) -> None:
    """Wait for the run to finish; a gate on the way (a score just under the top) is approved."""
    page.locator("section.done, button:has-text('yes — approve')").first.wait_for(timeout=120_000)
    approve = page.locator("button:has-text('yes — approve')")
    if approve.count():
        approve.click()
    page.locator("section.done").wait_for(timeout=120_000)
