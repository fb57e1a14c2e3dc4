import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from store.db import get_database
from store.models import Blob, Gate, Iteration, Phase, ProfileVersion, Run, User
from tests.support.images import bomb_png, jpeg_bytes, png_bytes
from tests.support.web import register_admin, work
from tests.support.webflow import confirm, gate_id_on, run_id_from, run_row, start_run, upload


def db(database_url):
    return get_database(database_url).sessions()


def stored_run(database_url, run_id) -> Run:
    with db(database_url) as session:
        run = run_row(session, run_id)
        session.expunge_all()
        return run


# accounts ---------------------------------------------------------------------------------
def test_register_hashes_password_and_logs_in(browser, database_url):
    response = browser.register("ada@example.com", "a long passphrase")
    assert response.status_code == 302 and response.headers["Location"].endswith("/runs/new")
    with db(database_url) as session:
        user = session.scalar(select(User).where(User.email == "ada@example.com"))
        assert user.password_hash != "a long passphrase"
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert browser.get("/runs/new").status_code == 200


def test_login_logout_and_bad_password(browser):
    browser.register("ada@example.com")
    browser.logout()
    assert browser.get("/runs/new").status_code == 302
    bad = browser.login("ada@example.com", "wrong password")
    assert bad.status_code == 400 and b"do not match" in bad.data
    assert browser.login("ada@example.com").status_code == 302
    assert browser.get("/history").status_code == 200


def test_short_password_and_duplicate_email(browser, other_browser):
    response = browser.register("bob@example.com", "short")
    assert response.status_code == 400 and b"at least 8 characters" in response.data
    browser.register("bob@example.com")
    again = other_browser.register("BOB@example.com")
    assert again.status_code == 400 and b"already exists" in again.data


def test_admin_emails_make_admins(browser, monkeypatch, app):
    register_admin(app, browser, "boss@example.com")
    assert browser.get("/admin/").status_code == 200


def test_failed_logins_are_rate_limited(browser, other_browser, app, redis_conn):
    app.config["LOGIN_ATTEMPTS"] = 3
    app.config["LOGIN_WINDOW_SECONDS"] = 120
    browser.register("ada@example.com")
    browser.logout()
    for _ in range(3):
        assert browser.login("ada@example.com", "wrong password").status_code == 400
    blocked = browser.login("ada@example.com")  # even the right password waits out the window
    assert blocked.status_code == 429 and b"Too many login attempts" in blocked.data
    assert browser.get("/runs/new").status_code == 302  # still logged out

    (key,) = redis_conn.scan_iter("tasteloop:login:*")  # one key: this address and email
    assert redis_conn.get(key) == b"3" and 0 < redis_conn.ttl(key) <= 120

    other_browser.register("bob@example.com")  # another account is not affected
    other_browser.logout()
    assert other_browser.login("bob@example.com").status_code == 302

    redis_conn.delete(key)  # the window expires
    assert browser.login("ada@example.com").status_code == 302


def test_successful_logins_are_not_counted(browser, app, redis_conn):
    app.config["LOGIN_ATTEMPTS"] = 2
    browser.register("ada@example.com")
    for _ in range(4):
        browser.logout()
        assert browser.login("ada@example.com").status_code == 302


# the whole flow ---------------------------------------------------------------------------
def test_full_flow_to_done_with_edited_profile(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    response = upload(browser)
    assert response.status_code == 302
    run_id = run_id_from(response)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "extracting" in page and 'hx-trigger="every 1500ms"' in page
    assert browser.get(f"/runs/{run_id}/status").status_code == 200  # still polling
    assert work(redis_conn) == 1

    status = browser.get(f"/runs/{run_id}/status")
    assert status.status_code == 286  # confirm: polling stops, the form is swapped in
    assert "Confirm &amp; generate" in status.get_data(as_text=True)

    def edit(fields):
        return {
            "principles": "Only moonlit blues\n" + fields["principles"],
            "avoid_text": "neon colour, crowded frames, text",
        }

    run_id, response = confirm(browser, run_id, edit=edit, threshold="1.0", gate_low="0.5")
    assert response.status_code == 302
    assert stored_run(database_url, run_id).phase == Phase.GENERATING
    work(redis_conn)
    run = stored_run(database_url, run_id)
    assert run.phase == Phase.DONE and run.outcome == "converged"
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Converged" in page and "Download image" in page
    with db(database_url) as session:
        versions = session.scalars(
            select(ProfileVersion)
            .where(ProfileVersion.run_id == run_row(session, run_id).id)
            .order_by(ProfileVersion.version)
        ).all()
        assert [v.source for v in versions] == ["extracted", "confirmed"]
        assert versions[1].data["principles"][0] == "Only moonlit blues"
        assert versions[1].data["avoid_list"] == ["neon colour", "crowded frames", "text"]
        assert versions[0].data["principles"][0] != "Only moonlit blues"
        assert versions[1].data["measurements"]["references"]  # the critic's evidence carried
        iteration = session.scalar(
            select(Iteration).where(Iteration.run_id == run_row(session, run_id).id)
        )
        assert "Only moonlit blues" in iteration.prompt
        assert [d for d, _ in iteration.breakdown] == [
            "palette_tendency",
            "compositional_style",
            "emotional_register",
            "texture_feel",
            "avoid_list",
        ]
    image = browser.get(f"/runs/{run_id}/download/image")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert "attachment" in image.headers["Content-Disposition"]
    profile = browser.get(f"/runs/{run_id}/download/profile.json")
    assert profile.json["format"] == "tasteloop.profile"
    assert profile.json["profile"]["principles"][0] == "Only moonlit blues"


def test_generating_page_shows_iterations_and_stops_polling_when_done(browser, redis_conn):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="9.8", max_iterations="2")
    assert browser.get(f"/runs/{run_id}/status").status_code == 200
    work(redis_conn)
    status = browser.get(f"/runs/{run_id}/status")
    body = status.get_data(as_text=True)
    assert status.status_code == 286
    assert body.count('<li class="card') == 2 and "<svg" in body
    assert "Best of 2" in body and "hx-trigger" not in body


def test_gate_approve(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id, response = start_run(browser, redis_conn, threshold="9.9", gate_low="0.1")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    work(redis_conn)
    assert stored_run(database_url, run_id).phase == Phase.GATED
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    for label in ("yes — approve", "almost — keep iterating", "no — restart"):
        assert label in page
    response = browser.post(
        f"/runs/{run_id}/gate", {"gate_id": gate_id_on(page), "decision": "approve"}
    )
    assert response.status_code == 303
    run = stored_run(database_url, run_id)
    assert run.phase == Phase.DONE and run.outcome == "approved"
    with db(database_url) as session:
        gated = session.scalar(select(Gate).where(Gate.run_id == run_row(session, run_id).id))
        assert run.final_iteration_id == gated.iteration_id and gated.decision == "approve"
    assert "Approved by you" in browser.get(f"/runs/{run_id}").get_data(as_text=True)


def test_gate_continue_uses_revised_prompt_and_repeat_enqueues_nothing(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="0.1")
    work(redis_conn)
    gate_id = gate_id_on(browser.get(f"/runs/{run_id}").get_data(as_text=True))
    browser.post(f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "continue"})
    from jobs.queue import queue

    assert queue(redis_conn).count == 1
    again = browser.post(
        f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "continue"}, follow_redirects=True
    )
    assert b"already decided" in again.data
    late = browser.post(f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "approve"})
    assert late.status_code == 303
    assert queue(redis_conn).count == 1  # the repeat and the late decision enqueued nothing
    assert stored_run(database_url, run_id).phase == Phase.GENERATING
    work(redis_conn)
    with db(database_url) as session:
        first, second = session.scalars(
            select(Iteration)
            .where(Iteration.run_id == run_row(session, run_id).id)
            .order_by(Iteration.index)
        ).all()
        assert second.prompt == first.revised_prompt
        assert session.get(Gate, gate_id).decision == "continue"
    assert stored_run(database_url, run_id).phase == Phase.GATED


def test_gate_restart_keeps_references(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="0.1")
    work(redis_conn)
    gate_id = gate_id_on(browser.get(f"/runs/{run_id}").get_data(as_text=True))
    response = browser.post(f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "restart"})
    new_id = run_id_from(response)
    assert new_id != run_id
    old, new = stored_run(database_url, run_id), stored_run(database_url, new_id)
    assert old.phase == Phase.RESTARTED and new.phase == Phase.CONFIRM
    page = browser.get(f"/runs/{new_id}").get_data(as_text=True)
    assert "Confirm &amp; generate" in page
    with db(database_url) as session:
        old_refs = [r.blob_sha for r in run_row(session, run_id).references]
        new_refs = [r.blob_sha for r in run_row(session, new_id).references]
        assert old_refs == new_refs and len(new_refs) == 3


def test_confirm_validation(browser, redis_conn):
    browser.register("ada@example.com")
    run_id, response = start_run(browser, redis_conn, threshold="6.0", gate_low="7.0")
    assert response.status_code == 400
    assert "“Ask me from” (7) must be lower than “Converge at” (6)" in response.get_data(
        as_text=True
    )
    assert '<details class="settings" open>' in response.get_data(as_text=True)
    _, response = confirm(
        browser, run_id, threshold="8", gate_low="6", edit=lambda f: {"principles": "  "}
    )
    assert response.status_code == 400 and b"principles" in response.data.lower()


def test_a_person_edits_the_colours_and_the_first_prompt_paints_them(
    browser, redis_conn, database_url
):
    """The confirm page shows the references' colours as swatches; changing one, removing one
    and adding one is what the confirmed profile keeps and what the first prompt asks for."""
    browser.register("ada@example.com")
    run_id = run_id_from(upload(browser))
    work(redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    extracted = re.findall(r'<input type="color" name="swatch_\d+" value="(#[0-9a-f]{6})"', page)
    assert 3 <= len(extracted) <= 5
    assert "What was measured" in page and extracted[0] in page

    _, response = confirm(
        browser, run_id, edit=lambda f: {"swatch_new": "not a colour"}, threshold="1.0"
    )
    assert response.status_code == 400
    assert "is not a colour like #8a5a44" in response.get_data(as_text=True)
    assert stored_run(database_url, run_id).phase == Phase.CONFIRM

    def recolour(fields):
        return {"swatch_1": "#123456", "remove_swatch_2": "1", "swatch_new": "C0FFEE"}

    _, response = confirm(browser, run_id, edit=recolour, threshold="1.0", gate_low="0.5")
    assert response.status_code == 302
    expected = ["#123456", *extracted[2:], "#c0ffee"]
    work(redis_conn)
    with db(database_url) as session:
        confirmed = session.scalars(
            select(ProfileVersion).where(
                ProfileVersion.run_id == run_row(session, run_id).id,
                ProfileVersion.source == "confirmed",
            )
        ).one()
        assert confirmed.data["palette"] == expected
        first = session.scalars(
            select(Iteration)
            .where(Iteration.run_id == run_row(session, run_id).id)
            .order_by(Iteration.index)
        ).first()
        assert f"Colours: {', '.join(expected)}." in first.prompt
        assert extracted[1] not in first.prompt


def test_the_confirm_page_says_what_the_sketch_engine_can_draw_with_and_without_javascript(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id = run_id_from(upload(browser))
    work(redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "This is the offline sketch engine" in page
    assert 'hx-get="/intent-reading"' in page and "Check what it can draw" in page

    # as the person types (htmx swaps this partial in)
    part = browser.get("/intent-reading?intent=a+quiet+cat+by+the+sea").get_data(as_text=True)
    assert "It can draw: sea." in part
    assert "It has no motif for: cat" in part and "cannot converge" in part
    assert "It paints quiet as a quality of the whole picture" in part
    assert "cat" not in browser.get("/intent-reading?intent=a+harbour").get_data(as_text=True)

    # without JavaScript: the Check button reads the intent and changes nothing
    def check(fields):
        return {"check": "1"}

    _, response = confirm(browser, run_id, intent="a cat sleeping in the rain", edit=check)
    checked = response.get_data(as_text=True)
    assert response.status_code == 200 and "It has no motif for: cat, sleeping" in checked
    assert 'value="a cat sleeping in the rain"' in checked
    assert stored_run(database_url, run_id).phase == Phase.CONFIRM


# upload errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "files,expected",
    [
        ([("a.jpg", jpeg_bytes())] * 2, b"you sent 2"),
        ([(f"{i}.jpg", jpeg_bytes()) for i in range(6)], b"you sent 6"),
        (
            [("a.jpg", jpeg_bytes()), ("b.jpg", jpeg_bytes()), ("empty.png", b"")],
            b"empty.png: the file is empty",
        ),
        (
            [
                ("a.jpg", jpeg_bytes()),
                ("b.jpg", jpeg_bytes()),
                ("notes.png", b"<html>hello</html>"),
            ],
            b"notes.png: this is not an image",
        ),
        (
            [
                ("a.jpg", jpeg_bytes()),
                ("b.jpg", jpeg_bytes()),
                ("cut.jpg", jpeg_bytes((400, 300))[:300]),
            ],
            b"cut.jpg: the image is truncated",
        ),
        (
            [("a.jpg", jpeg_bytes()), ("b.jpg", jpeg_bytes()), ("bomb.png", bomb_png())],
            b"bomb.png: the image has too many pixels",
        ),
        (
            [
                ("a.jpg", jpeg_bytes()),
                ("b.jpg", jpeg_bytes()),
                ("huge.png", b"\x89PNG" + b"0" * (16 * 1024 * 1024)),
            ],
            b"huge.png: the file is 16.0 MB; the limit is 15.0 MB",
        ),
    ],
)
def test_bad_uploads_are_rejected_and_nothing_is_stored(
    browser, database_url, redis_conn, files, expected
):
    browser.register("ada@example.com")
    response = upload(browser, files=[(io.BytesIO(data), name) for name, data in files])
    assert response.status_code == 400
    assert expected in response.data.replace(b"&#39;", b"'")
    assert b'id="form-errors"' in response.data
    with db(database_url) as session:
        assert session.scalar(select(func.count(Run.id))) == 0
        assert session.scalar(select(func.count()).select_from(Blob)) == 0
    from jobs.queue import queue

    assert queue(redis_conn).count == 0
    assert browser.get("/runs/new").status_code == 200  # the app keeps serving


def test_mix_of_good_and_bad_names_only_the_bad(browser):
    browser.register("ada@example.com")
    files = [
        (io.BytesIO(png_bytes()), "fine.png"),
        (io.BytesIO(png_bytes()), "fine2.png"),
        (io.BytesIO(b"GIF89a nope"), "broken.gif"),
    ]
    body = upload(browser, files=files).get_data(as_text=True)
    assert "broken.gif" in body and "fine.png:" not in body


# access -----------------------------------------------------------------------------------
def _gated_run(browser, redis_conn):
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="9.9", gate_low="0.1")
    work(redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    return run_id, gate_id_on(page), page


def test_other_users_get_404_everywhere_and_anonymous_is_sent_to_login(
    browser, other_browser, redis_conn, database_url, app
):
    run_id, gate_id, page = _gated_run(browser, redis_conn)
    import re

    image_url = re.search(rf'href="(/runs/{run_id}/images/[0-9a-f]{{64}})"', page).group(1)
    sized_url = re.search(rf'src="(/runs/{run_id}/images/[0-9a-f]{{64}}\?w=\d+)"', page).group(1)
    assert browser.get(image_url).status_code == 200
    assert browser.get(sized_url).status_code == 200
    urls = [
        f"/runs/{run_id}",
        f"/runs/{run_id}/status",
        image_url,
        sized_url,
        f"/runs/{run_id}/download/image",
        f"/runs/{run_id}/download/profile.json",
    ]
    other_browser.register("eve@example.com")
    for url in urls:
        assert other_browser.get(url).status_code == 404, url
    for action, data in (
        (f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "approve"}),
        (f"/runs/{run_id}/retry", {}),
        (f"/runs/{run_id}/confirm", {}),
    ):
        assert other_browser.post(action, data).status_code == 404, action
    assert stored_run(database_url, run_id).phase == Phase.GATED
    anonymous = app.test_client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert "ada@example.com" not in other_browser.get("/history").get_data(as_text=True)


def test_image_of_another_run_is_not_served_through_my_run(browser, other_browser, redis_conn):
    run_id, _, page = _gated_run(browser, redis_conn)
    import re

    sha = re.search(r"/images/([0-9a-f]{64})", page).group(1)
    other_browser.register("eve@example.com")
    other_run = run_id_from(upload(other_browser, "geometric-abstraction"))
    assert other_browser.get(f"/runs/{other_run}/images/{sha}").status_code == 404


def test_admin_pages_forbidden_to_users_and_admin_decides_a_gate(
    browser, other_browser, redis_conn, database_url, app
):
    run_id, gate_id, _ = _gated_run(browser, redis_conn)
    assert browser.get("/admin/").status_code == 403
    assert browser.get("/admin/decisions").status_code == 403
    register_admin(app, other_browser, "root@example.com")
    queue_page = other_browser.get("/admin/").get_data(as_text=True)
    assert "ada@example.com" in queue_page and f'value="{gate_id}"' in queue_page
    assert queue_page.count('alt="reference ') == 3  # the admin judges it beside the references
    assert other_browser.get(f"/runs/{run_id}").status_code == 200  # admins see all
    response = other_browser.post(
        f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "approve", "next": "admin"}
    )
    assert response.headers["Location"].endswith("/admin/")
    assert stored_run(database_url, run_id).outcome == "approved"
    log = other_browser.get("/admin/decisions").get_data(as_text=True)
    assert "root@example.com" in log and 'data-label="Decision">approved</td>' in log


def test_missing_csrf_token_is_rejected(browser, redis_conn, database_url):
    run_id, gate_id, _ = _gated_run(browser, redis_conn)
    response = browser.post(
        f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "approve"}, csrf=False
    )
    assert response.status_code == 400
    assert stored_run(database_url, run_id).phase == Phase.GATED
    assert browser.post("/logout", csrf=False).status_code == 400
    fresh = browser.client.application.test_client()
    assert (
        fresh.post("/login", data={"email": "ada@example.com", "password": "x"}).status_code == 400
    )


def test_htmx_post_with_header_token_is_accepted(browser, redis_conn, database_url):
    run_id, gate_id, page = _gated_run(browser, redis_conn)
    import re

    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = browser.client.post(
        f"/runs/{run_id}/gate",
        data={"gate_id": gate_id, "decision": "approve"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 303
    assert stored_run(database_url, run_id).outcome == "approved"


def test_security_headers_and_cookie_flags(browser):
    response = browser.register("ada@example.com")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = browser.get("/runs/new")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_images_have_content_type_and_cache_headers(browser, redis_conn):
    run_id, _, page = _gated_run(browser, redis_conn)
    import re

    url = re.search(rf'href="(/runs/{run_id}/images/[0-9a-f]{{64}})"', page).group(1)
    response = browser.get(url)
    assert response.mimetype in ("image/jpeg", "image/png")
    assert (
        "immutable" in response.headers["Cache-Control"]
        and "private" in response.headers["Cache-Control"]
    )
    etag = response.headers["ETag"]
    assert browser.get(url, headers={"If-None-Match": etag}).status_code == 304
    # the page draws it from a JPEG at the width it is shown, not the stored PNG
    sized = re.search(rf'src="({re.escape(url)})\?w=(\d+)"', page)
    small = browser.get(f"{sized.group(1)}?w={sized.group(2)}")
    assert small.headers["ETag"] != etag
    assert max(Image.open(io.BytesIO(small.data)).size) <= int(sized.group(2))
    assert len(small.data) <= len(response.data)  # never more than the stored image
    sized_etag = small.headers["ETag"]
    again = browser.get(
        f"{sized.group(1)}?w={sized.group(2)}", headers={"If-None-Match": sized_etag}
    )
    assert again.status_code == 304
    assert browser.get(f"{url}?w=12345").data == response.data  # a width not offered: the image
    reference = re.search(
        rf'src="(/runs/{run_id}/images/[0-9a-f]{{64}})\?w=320" alt="reference', page
    )
    full, tile = browser.get(reference.group(1)), browser.get(f"{reference.group(1)}?w=320")
    assert max(Image.open(io.BytesIO(tile.data)).size) == 320
    assert len(tile.data) < len(full.data) / 3


# history and restarts ---------------------------------------------------------------------
def test_history_survives_an_app_restart(browser, redis_conn, database_url, tmp_path, env):
    browser.register("ada@example.com")
    run_id, _ = start_run(
        browser, redis_conn, threshold="1.0", gate_low="0.5", intent="a quiet pier"
    )
    work(redis_conn)
    from webapp import create_app

    restarted = create_app(
        {
            "DATA_DIR": tmp_path / "data",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
        }
    )
    from tests.support.web import Browser

    again = Browser(restarted.test_client())
    again.login("ada@example.com")
    page = again.get("/history").get_data(as_text=True)
    assert "a quiet pier" in page and f"/runs/{run_id}" in page
    assert again.get(f"/runs/{run_id}").status_code == 200


def test_history_is_newest_first(browser, redis_conn):
    browser.register("ada@example.com")
    first = run_id_from(upload(browser))
    second = run_id_from(upload(browser, "geometric-abstraction"))
    page = browser.get("/history").get_data(as_text=True)
    assert page.index(f"/runs/{second}") < page.index(f"/runs/{first}")


# failures ---------------------------------------------------------------------------------
def test_queue_down_at_upload_gives_retryable_failure(browser, database_url, monkeypatch):
    browser.register("ada@example.com")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    import jobs.queue

    jobs.queue._connection.cache_clear()
    run_id = run_id_from(upload(browser))
    run = stored_run(database_url, run_id)
    assert run.phase == Phase.FAILED and run.error_retryable
    assert "queue is unavailable" in run.error
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "Retry" in page


def test_reloading_a_forms_address_goes_back_to_its_page(browser, redis_conn):
    """After a form error the address bar shows the form's address; reloading it opened an
    unstyled "405 Method Not Allowed"."""
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="6.0", gate_low="7.0")
    reload = browser.get(f"/runs/{run_id}/confirm")
    assert reload.status_code == 303 and reload.headers["Location"].endswith(f"/runs/{run_id}")
    assert browser.get("/account/password").headers["Location"].endswith("/account")
    refused = browser.client.put(f"/runs/{run_id}/confirm")
    assert refused.status_code == 405 and b"takes a form" in refused.data


def test_a_gated_page_keeps_asking_so_an_admins_decision_shows_without_a_reload(
    browser, other_browser, redis_conn, database_url, app
):
    run_id, gate_id, page = _gated_run(browser, redis_conn)
    poll = re.search(r'hx-get="([^"]+)" hx-trigger="every (\d+)ms"', page)
    assert poll, "a gated page polls"
    url = poll.group(1).replace("&amp;", "&")
    assert browser.get(url).status_code == 204  # nothing new: the page, and a typed note, stay
    register_admin(app, other_browser, "root@example.com")
    other_browser.get("/admin/")
    other_browser.post(
        f"/runs/{run_id}/gate", {"gate_id": gate_id, "decision": "approve", "next": "admin"}
    )
    news = browser.get(url)
    assert news.status_code == 286  # the new state, and the polling stops
    assert "Approved" in news.get_data(as_text=True)


def test_the_gate_shows_its_picture_once(browser, redis_conn):
    run_id, gate_id, page = _gated_run(browser, redis_conn)
    gate_sha = re.search(
        rf'id="gate-{gate_id}".*?/runs/{run_id}/images/([0-9a-f]{{64}})', page, re.S
    ).group(1)
    drawn = re.findall(rf'<img src="/runs/{run_id}/images/{gate_sha}', page)
    assert len(drawn) == 1
    assert f'href="#gate-{gate_id}"' in page  # its iteration card points up to it
    gate_part = page.split(f'id="gate-{gate_id}"', 1)[1].split("</section>", 1)[0]
    assert gate_part.count('alt="reference ') == 3  # the references beside it


def test_score_colours_are_one_scale_whatever_the_runs_thresholds(
    browser, redis_conn, database_url
):
    """A run that converges at 1.0 still shows its score in the colour the score earns on the
    everyday scale, on its page, in history and in the library."""
    browser.register("ada@example.com")
    run_id, _ = start_run(browser, redis_conn, threshold="1.0", gate_low="0.5", max_iterations="1")
    work(redis_conn)
    with db(database_url) as session:
        score = session.get(Iteration, run_row(session, run_id).final_iteration_id).score
    expected = "score-high" if score >= 8.0 else "score-mid" if score >= 6.0 else "score-low"
    shown = f'<span class="score {expected}">{score:.1f}</span>'
    for page in (f"/runs/{run_id}", "/history"):
        body = browser.get(page).get_data(as_text=True)
        assert shown in body, page
        assert body.count(f">{score:.1f}</span>") == body.count(shown), page
