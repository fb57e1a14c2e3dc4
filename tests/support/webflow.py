"""Helpers that walk a run through the web app like a user would."""

from __future__ import annotations

import base64
import io
import json
import re

from tests.support.images import png_bytes
from tests.support.refsets import load_set
from tests.support.web import work


def upload(browser, set_name: str = "van-gogh-swirling-landscapes", count: int = 3, files=None):
    browser.get("/runs/new")
    if files is None:
        files = [
            (io.BytesIO(data), f"ref{i}.jpg") for i, data in enumerate(load_set(set_name)[:count])
        ]
    return browser.post("/runs/new", {"images": files}, content_type="multipart/form-data")


PUBLIC_ID = r"[A-Za-z0-9_-]{11,16}"


def run_id_from(response) -> str:
    """The run's public id (what its URLs name it by) from a redirect to its page."""
    match = re.search(rf"/runs/({PUBLIC_ID})", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def run_number(database_url: str, public_id: str) -> int:
    """The database id behind a public id (for the queue and the worker, which use it)."""
    from store.db import get_database

    with get_database(database_url).session() as session:
        return run_row(session, public_id).id


def run_row(session, public_id: str):
    """The Run row a public id names (tests look at the database behind the pages)."""
    from sqlalchemy import select

    from store.models import Run

    return session.scalar(select(Run).where(Run.public_id == public_id))


def confirm_fields(page: str) -> dict[str, str]:
    fields = {}
    for name in (
        "principles",
        "palette_tendency",
        "compositional_style",
        "emotional_register",
        "texture_feel",
    ):
        match = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
        assert match, name
        fields[name] = _unescape(match.group(1))
    base = re.search(r'name="base" value="(\d+)"', page)  # the library version being edited
    if base:
        fields["base"] = base.group(1)
    avoid = re.search(r'name="avoid_text" value="([^"]*)"', page)
    assert avoid
    fields["avoid_text"] = _unescape(avoid.group(1))
    for name, value in re.findall(r'<input type="color" name="(swatch_\d+)" value="([^"]*)"', page):
        fields[name] = value
    return fields


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def start_run(browser, redis_conn, *, set_name="van-gogh-swirling-landscapes", **confirm_with):
    """Upload, extract (in the worker), confirm; returns (run_id, confirm response)."""
    run_id = run_id_from(upload(browser, set_name))
    work(redis_conn)
    return confirm(browser, run_id, **confirm_with)


def confirm(
    browser,
    run_id: str,
    *,
    intent="a harbour at dusk",
    threshold="8.0",
    gate_low="6.0",
    max_iterations="5",
    candidates="1",
    edit=None,
):
    """Confirm a run waiting at the confirm step, as its page offers it; (run_id, response)."""
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    fields = confirm_fields(page)
    if edit:
        fields.update(edit(fields))
    fields.update(
        intent=intent,
        threshold=threshold,
        gate_low=gate_low,
        max_iterations=max_iterations,
        candidates=candidates,
    )
    return run_id, browser.post(f"/runs/{run_id}/confirm", fields)


def gate_id_on(page: str) -> int:
    match = re.search(r'name="gate_id" value="(\d+)"', page)
    assert match, "no open gate on the page"
    return int(match.group(1))


def save_to_library(browser, run_id: int, name: str = "Moody blues") -> int:
    response = browser.post(f"/library/save-run/{run_id}", {"name": name})
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/library/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def import_file(browser, payload: bytes, filename="taste.json"):
    browser.get("/library/")
    return browser.post(
        "/library/import",
        {"profile_file": (io.BytesIO(payload), filename)},
        content_type="multipart/form-data",
    )


def import_ok(browser, payload: bytes) -> int:
    response = import_file(browser, payload)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/library/(\d+)$", response.headers["Location"]).group(1))


def document(with_refs=True, **overrides) -> bytes:
    profile = {
        "principles": ["Quiet geometry", "Warm light against cool shadow", "Let space breathe"],
        "palette_tendency": "Muted warm earth anchored by #8a5a44 and #d9c5a0; low chroma.",
        "compositional_style": "Sparse, off-centre left, generous negative space.",
        "emotional_register": "Calm, contemplative, low arousal.",
        "texture_feel": "Fine film grain over soft gradients.",
        "avoid_list": ["neon colour", "crowded frames", "hard outlines"],
    }
    body = {
        "format": "tasteloop.profile",
        "schema_version": 1,
        "name": "Imported calm",
        "profile": profile,
    }
    if with_refs:
        body["references"] = [
            "data:image/png;base64," + base64.b64encode(png_bytes(color=c)).decode()
            for c in ((200, 120, 80), (40, 60, 90), (220, 210, 190))
        ]
    body.update(overrides)
    return json.dumps(body).encode()
