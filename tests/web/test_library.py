"""The taste library through the web app: save, rename, delete, versions, reuse, export/import."""

import html
import json
import re

from PIL import Image
from sqlalchemy import func, select

from store.db import get_database
from store.models import (
    Blob,
    Iteration,
    LibraryProfile,
    LibraryReference,
    LibraryVersion,
    Phase,
    ProfileVersion,
    Run,
)
from tasteloop.domain.profile import (
    MAX_ITEM_CHARS,
    MAX_ITEMS,
    MAX_SENTENCE_CHARS,
    SENTENCE_FIELDS,
    TasteProfile,
)
from tasteloop.domain.references import MAX_REFERENCES
from tasteloop.measure.features import measure
from tasteloop.measure.reference_set import measure_set
from tests.support.profiles import extracted
from tests.support.refsets import load_set
from tests.support.web import register_admin, work
from tests.support.webflow import (
    PUBLIC_ID,
    confirm_fields,
    document,
    import_file,
    import_ok,
    run_row,
    save_to_library,
    start_run,
    upload,
)


def db(database_url):
    return get_database(database_url).sessions()


def confirmed_run(browser, redis_conn, intent="a harbour at dusk") -> int:
    run_id, response = start_run(browser, redis_conn, intent=intent, max_iterations="1")
    assert response.status_code == 302
    return run_id


def library_entry(database_url, profile_id) -> tuple[str, list[dict], int]:
    with db(database_url) as session:
        entry = session.get(LibraryProfile, profile_id)
        return entry.name, [v.data for v in entry.versions], len(entry.references)


def edit_fields(browser, profile_id, **changes) -> dict[str, str]:
    page = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    fields = confirm_fields(page)
    fields.update(changes)
    return fields


# save / rename / delete ------------------------------------------------------------------
def test_save_run_profile_to_library(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    assert "Save to library" in browser.get(f"/runs/{run_id}").get_data(as_text=True)
    profile_id = save_to_library(browser, run_id, "  Moody   blues ")

    name, versions, references = library_entry(database_url, profile_id)
    assert name == "Moody blues" and len(versions) == 1 and references == 3
    with db(database_url) as session:
        run = run_row(session, run_id)
        assert versions[0] == run.profiles[-1].data  # the confirmed profile, measurements and all
        assert versions[0]["measurements"]
        assert run.library_version_id == session.scalar(
            select(LibraryVersion.id).where(LibraryVersion.profile_id == profile_id)
        )

    listing = browser.get("/library/").get_data(as_text=True)
    assert "Moody blues" in listing and "used by 1 run" in listing
    assert listing.count(f"/library/{profile_id}/images/") == 3
    detail = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    assert TasteProfile.model_validate(versions[0]).principles[0] in html.unescape(detail)


def test_cannot_save_an_unconfirmed_profile(browser, redis_conn, database_url):
    from tests.support.webflow import run_id_from, upload

    browser.register("ada@example.com")
    run_id = run_id_from(upload(browser))
    work(redis_conn)  # extracted, waiting for confirmation
    response = browser.post(f"/library/save-run/{run_id}", {"name": "Too early"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/runs/{run_id}")
    assert "Confirm the profile first" in browser.get(f"/runs/{run_id}").get_data(as_text=True)
    with db(database_url) as session:
        assert session.scalar(select(func.count(LibraryProfile.id))) == 0


def test_rename_and_name_validation(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    profile_id = save_to_library(browser, confirmed_run(browser, redis_conn))
    assert (
        browser.post(f"/library/{profile_id}/rename", {"name": "Harbour nights"}).status_code == 302
    )
    assert library_entry(database_url, profile_id)[0] == "Harbour nights"

    browser.post(f"/library/{profile_id}/rename", {"name": "   "})
    assert "Give the profile a name" in browser.get(f"/library/{profile_id}").get_data(as_text=True)
    browser.post(f"/library/{profile_id}/rename", {"name": "x" * 121})
    name, versions, _ = library_entry(database_url, profile_id)
    assert name == "Harbour nights" and len(versions) == 1  # renaming never makes a version


def test_delete_keeps_the_runs_own_copy(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    profile_id = save_to_library(browser, run_id)
    with db(database_url) as session:
        before = run_row(session, run_id).profiles[-1].data

    response = browser.post(f"/library/{profile_id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("/library/")
    assert browser.get(f"/library/{profile_id}").status_code == 404
    with db(database_url) as session:
        assert session.get(LibraryProfile, profile_id) is None
        assert session.scalar(select(func.count(LibraryVersion.id))) == 0
        assert session.scalar(select(func.count(LibraryReference.id))) == 0
        run = run_row(session, run_id)
        assert run.library_version_id is None
        assert run.profiles[-1].data == before
        assert session.scalar(select(func.count(Blob.sha256))) >= 3  # run references stay
    page = browser.get(f"/runs/{run_id}")
    assert page.status_code == 200 and "from library" not in page.get_data(as_text=True)


# versions ---------------------------------------------------------------------------------
def test_edit_makes_a_new_version_and_keeps_the_old(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    profile_id = save_to_library(browser, confirmed_run(browser, redis_conn))
    fields = edit_fields(browser, profile_id)
    fields["principles"] = "Moonlight over everything\n" + fields["principles"]
    response = browser.post(f"/library/{profile_id}/edit", fields)
    assert response.status_code == 302

    _, versions, _ = library_entry(database_url, profile_id)
    assert len(versions) == 2
    assert versions[1]["principles"][0] == "Moonlight over everything"
    assert versions[0]["principles"][0] != "Moonlight over everything"
    assert versions[1]["measurements"] == versions[0]["measurements"]  # the critic still has them

    old = browser.get(f"/library/{profile_id}?v=1").get_data(as_text=True)
    assert "version 1 of 2" in old and "Moonlight over everything" not in old.split("Edit (")[0]
    new = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    assert "version 2 of 2" in new and "Moonlight over everything" in new
    compare = browser.get(f"/library/{profile_id}/compare?a=1&b=2").get_data(as_text=True)
    assert "Version 1" in compare and "Version 2" in compare
    assert browser.get(f"/library/{profile_id}?v=9").status_code == 404


def test_unchanged_edit_and_invalid_edit_make_no_version(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    profile_id = save_to_library(browser, confirmed_run(browser, redis_conn))
    assert (
        browser.post(f"/library/{profile_id}/edit", edit_fields(browser, profile_id)).status_code
        == 302
    )
    bad = browser.post(
        f"/library/{profile_id}/edit", edit_fields(browser, profile_id, principles="")
    )
    assert bad.status_code == 400 and "Keep 1 to 8 principles" in bad.get_data(as_text=True)
    assert len(library_entry(database_url, profile_id)[1]) == 1


def test_reextract_is_explicit_and_adds_a_version(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    assert work(redis_conn) == 1  # the run's own generation job
    profile_id = save_to_library(browser, run_id)
    fields = edit_fields(browser, profile_id, principles="My own words only")
    browser.post(f"/library/{profile_id}/edit", fields)
    assert work(redis_conn) == 0  # nothing is re-extracted behind the user's back

    assert browser.post(f"/library/{profile_id}/reextract").status_code == 302
    page = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    assert "Re-extracting from the references" in page
    assert browser.get(f"/library/{profile_id}/reextract/status").status_code == 200
    assert work(redis_conn) == 1

    status = browser.get(f"/library/{profile_id}/reextract/status")
    assert status.status_code == 286 and "Compare it with version 2" in status.get_data(
        as_text=True
    )
    _, versions, _ = library_entry(database_url, profile_id)
    assert len(versions) == 3
    assert versions[1]["principles"] == ["My own words only"]  # the edit is still there
    assert versions[2]["principles"] != ["My own words only"]
    with db(database_url) as session:
        assert [v.source for v in session.get(LibraryProfile, profile_id).versions] == [
            "saved",
            "edited",
            "re-extracted",
        ]


def test_reextract_waits_its_turn_within_the_in_flight_limit(
    browser, redis_conn, database_url, monkeypatch
):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    work(redis_conn)
    profile_id = save_to_library(browser, run_id)
    monkeypatch.setenv("TASTELOOP_USER_MAX_ACTIVE_RUNS", "1")
    upload(browser)  # one run extracting: the one allowed
    browser.post(f"/library/{profile_id}/reextract")
    page = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    assert "1 run or re-extraction in progress, the most allowed at once" in page
    with db(database_url) as session:
        assert session.get(LibraryProfile, profile_id).reextract_requested_at is None
    work(redis_conn)  # the extraction ends; now the re-extraction may start, and counts
    assert browser.post(f"/library/{profile_id}/reextract").status_code == 302
    refused = upload(browser)
    assert refused.status_code == 403


def test_reextract_needs_references(browser, database_url):
    browser.register("ada@example.com")
    profile_id = import_ok(browser, document(with_refs=False))
    browser.post(f"/library/{profile_id}/reextract")
    assert "no reference images" in browser.get(f"/library/{profile_id}").get_data(as_text=True)


# starting a run from the library -----------------------------------------------------------
def test_start_run_from_an_older_version(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    first_run = confirmed_run(browser, redis_conn)
    work(redis_conn)
    profile_id = save_to_library(browser, first_run)
    browser.post(
        f"/library/{profile_id}/edit", edit_fields(browser, profile_id, principles="Edited later")
    )
    response = browser.post(
        f"/library/{profile_id}/start",
        {"version": "1", "intent": "a lighthouse", "max_iterations": "1", "candidates": "1"},
    )
    assert response.status_code == 302
    run_id = re.search(rf"/runs/({PUBLIC_ID})", response.headers["Location"]).group(1)
    with db(database_url) as session:
        run = run_row(session, run_id)
        version_one = session.scalar(
            select(LibraryVersion).where(
                LibraryVersion.profile_id == profile_id, LibraryVersion.version == 1
            )
        )
        assert run.phase == Phase.GENERATING and run.intent == "a lighthouse"
        assert run.library_version_id == version_one.id
        assert run.profiles[-1].data == version_one.data  # measurements travel with it
        assert len(run.references) == 3
    assert work(redis_conn) == 1
    with db(database_url) as session:
        run = run_row(session, run_id)
        assert run.phase in (Phase.DONE, Phase.GATED)
        assert (
            session.scalar(
                select(func.count(Iteration.id)).where(
                    Iteration.run_id == run_row(session, run_id).id
                )
            )
            == 1
        )
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "from library: Moody blues v1" in page
    assert "used by 2 runs" in browser.get("/library/").get_data(as_text=True)


def test_library_run_is_judged_like_an_uploaded_run(browser, redis_conn, database_url):
    """Same profile, same prompt, same seed: the score must not depend on where the run began."""
    browser.register("ada@example.com")
    uploaded = confirmed_run(browser, redis_conn, intent="a lighthouse")
    work(redis_conn)
    profile_id = save_to_library(browser, uploaded)
    response = browser.post(
        f"/library/{profile_id}/start", {"intent": "a lighthouse", "max_iterations": "1"}
    )
    reused = re.search(rf"/runs/({PUBLIC_ID})", response.headers["Location"]).group(1)
    work(redis_conn)
    with db(database_url) as session:
        scores = [
            session.scalar(
                select(Iteration.score).where(Iteration.run_id == run_row(session, rid).id)
            )
            for rid in (uploaded, reused)
        ]
    assert scores[0] == scores[1] and scores[0] > 0


def test_start_run_validates_intent_and_settings(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    profile_id = save_to_library(browser, confirmed_run(browser, redis_conn))
    missing = browser.post(f"/library/{profile_id}/start", {"intent": " "})
    assert missing.status_code == 400 and "Say what to make" in missing.get_data(as_text=True)
    bad = browser.post(f"/library/{profile_id}/start", {"intent": "x", "candidates": "9"})
    assert bad.status_code == 400 and "Candidates per iteration" in bad.get_data(as_text=True)
    with db(database_url) as session:
        assert session.scalar(select(func.count(Run.id))) == 1


# export / import ----------------------------------------------------------------------------


def test_export_import_round_trip_is_identical(browser, other_browser, redis_conn, database_url):
    browser.register("ada@example.com")
    profile_id = save_to_library(browser, confirmed_run(browser, redis_conn))
    exported = browser.get(f"/library/{profile_id}/export.json?v=1&references=1")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    doc = exported.get_json()
    assert doc["format"] == "tasteloop.profile" and doc["schema_version"] == 3
    assert doc["profile"]["style"] == {"strength": 1.0, "weights": None}
    assert doc["profile"]["palette"] and all(c.startswith("#") for c in doc["profile"]["palette"])
    assert len(doc["profile"]["measurements"]["style"]["mean"]) == 100
    assert len(doc["references"]) == 3 and doc["references"][0].startswith(
        "data:image/jpeg;base64,"
    )

    other_browser.register("bo@example.com")  # Ada's own copy is refused as a duplicate
    new_id = import_ok(other_browser, exported.data)
    assert new_id != profile_id
    name, versions, references = library_entry(database_url, new_id)
    _, originals, _ = library_entry(database_url, profile_id)
    assert name == "Moody blues" and references == 3
    assert versions == originals  # identical profile, measurements included
    again = other_browser.get(f"/library/{new_id}/export.json").get_json()
    assert again["profile"] == doc["profile"]


def test_export_without_references_and_cli_reads_it(browser, redis_conn, tmp_path):
    from click.testing import CliRunner

    from tasteloop.cli import main

    browser.register("ada@example.com")
    profile_id = save_to_library(browser, confirmed_run(browser, redis_conn))
    doc = browser.get(f"/library/{profile_id}/export.json").get_json()
    assert "references" not in doc
    path = tmp_path / "taste.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--profile",
            str(path),
            "--intent",
            "a lighthouse",
            "--out",
            str(out),
            "--max-iterations",
            "1",
            "--gate",
            "stop",
        ],
    )
    assert result.exit_code == 0, result.output
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["profile"]["principles"] == doc["profile"]["principles"]


def test_import_without_references(browser, database_url):
    browser.register("ada@example.com")
    profile_id = import_ok(browser, document(with_refs=False))
    name, versions, references = library_entry(database_url, profile_id)
    assert name == "Imported calm" and references == 0
    assert versions[0]["principles"][0] == "Quiet geometry"
    with db(database_url) as session:
        assert session.get(LibraryProfile, profile_id).versions[0].source == "imported"


def _oversize() -> bytes:
    return b'{"format": "tasteloop.profile", "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'


IMPORT_ERRORS = {
    "empty": (b"", "the file is empty"),
    "not json": (b"<html>hello</html>", "not a JSON file: it stops reading as JSON at line 1, "),
    "binary": (b"\x89PNG\r\n\x1a\n\xff\xfe", "not a JSON file: it is not text"),
    "not an object": (b"[1, 2, 3]", "must hold a JSON object"),
    "wrong schema": (document(format="someone.else"), "unknown format"),
    "wrong version": (document(schema_version=7), "schema version 7 is not supported"),
    "missing profile": (document(profile=None), "no &#39;profile&#39; object"),
    "missing field": (
        json.dumps(
            {"format": "tasteloop.profile", "schema_version": 1, "profile": {"principles": ["a"]}}
        ).encode(),
        "palette_tendency: Field required",
    ),
    "oversize": (_oversize(), "limited to 5 MB"),
    "bad reference": (document(references=["data:image/png;base64,aGVsbG8="]), "reference 1:"),
    "too many references": (
        document(references=["data:image/png;base64,AAAA"] * 6),
        "at most 5 are allowed",
    ),
}


def test_every_import_error_is_named_and_nothing_is_stored(browser, database_url):
    assert_imports_refused(browser, database_url, IMPORT_ERRORS)
    assert browser.get("/library/").status_code == 200


def assert_imports_refused(browser, database_url, cases) -> None:
    browser.register("ada@example.com")
    for label, (payload, message) in cases.items():
        response = import_file(browser, payload, filename=f"{label}.json")
        body = response.get_data(as_text=True)
        assert response.status_code == 400, label
        assert f"{label}.json:" in body and message in body, (label, body[-2000:])
    with db(database_url) as session:
        assert session.scalar(select(func.count(LibraryProfile.id))) == 0
        assert session.scalar(select(func.count(LibraryVersion.id))) == 0


# privacy ------------------------------------------------------------------------------------
def test_profiles_are_private_to_their_owner(browser, other_browser, redis_conn, app, database_url):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    profile_id = save_to_library(browser, run_id)
    with db(database_url) as session:
        sha = session.scalars(select(LibraryReference.blob_sha)).first()

    other_browser.register("eve@example.com")
    assert "Moody blues" not in other_browser.get("/library/").get_data(as_text=True)
    for url in (
        f"/library/{profile_id}",
        f"/library/{profile_id}?v=1",
        f"/library/{profile_id}/compare?a=1&b=1",
        f"/library/{profile_id}/export.json",
        f"/library/{profile_id}/images/{sha}",
        f"/library/{profile_id}/reextract/status",
    ):
        assert other_browser.get(url).status_code == 404, url
    for url, data in (
        (f"/library/{profile_id}/rename", {"name": "mine now"}),
        (f"/library/{profile_id}/edit", {"principles": "x"}),
        (f"/library/{profile_id}/delete", {}),
        (f"/library/{profile_id}/reextract", {}),
        (f"/library/{profile_id}/start", {"intent": "steal"}),
        (f"/library/save-run/{run_id}", {"name": "steal"}),
    ):
        assert other_browser.post(url, data).status_code == 404, url
    assert library_entry(database_url, profile_id)[0] == "Moody blues"

    browser.logout()
    assert browser.get(f"/library/{profile_id}").status_code == 302  # to the login page

    other_browser.logout()
    register_admin(app, other_browser, "boss@example.com")
    assert other_browser.get(f"/library/{profile_id}").status_code == 200
    assert "Moody blues" in other_browser.get("/admin/library").get_data(as_text=True)
    assert other_browser.post(f"/library/{profile_id}/delete").status_code == 404  # look, not touch


def test_library_forms_need_csrf(browser, redis_conn):
    browser.register("ada@example.com")
    profile_id = save_to_library(browser, confirmed_run(browser, redis_conn))
    response = browser.post(f"/library/{profile_id}/rename", {"name": "x"}, csrf=False)
    assert response.status_code == 400


def test_profile_versions_table_untouched_by_library_edits(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    profile_id = save_to_library(browser, run_id)
    browser.post(f"/library/{profile_id}/edit", edit_fields(browser, profile_id, principles="New"))
    with db(database_url) as session:
        run_versions = session.scalars(
            select(ProfileVersion.data).where(ProfileVersion.run_id == run_row(session, run_id).id)
        ).all()
        assert all(v["principles"] != ["New"] for v in run_versions)


def _profile_with(**fields) -> bytes:
    body = json.loads(document(with_refs=False))
    body["profile"].update(fields)
    return json.dumps(body).encode()


HOSTILE_IMPORTS = {
    # a long run of whitespace once held the offline engine's regex for minutes per call
    "whitespace": (_profile_with(texture_feel="grain" + " " * 100_000 + "x"), "2000 characters"),
    "many principles": (_profile_with(principles=[f"p{i}" for i in range(500)]), "at most 8"),
    "long item": (_profile_with(avoid_list=["x" * 5000]), "300 characters or fewer"),
    "huge measurements": (
        _profile_with(measurements={"pad": "x" * 600_000}),
        "measurements are over 512 KB",
    ),
    "arbitrary measurements": (
        _profile_with(measurements={"stats": {"lightness": 1}, "junk": [1, 2]}),
        "measurements are not ones tasteloop made",
    ),
    "nan": (
        document(with_refs=False).replace(b'"schema_version": 1', b'"schema_version": NaN'),
        "NaN is not a number JSON allows",
    ),
    "boolean version": (document(schema_version=True), "schema version True is not supported"),
    "deep nesting": (b'{"profile": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too"),
    "long number": (b'{"schema_version": ' + b"9" * 5000 + b"}", "a value a profile cannot"),
}


def test_hostile_imports_are_refused_by_the_profile_validation(browser, database_url):
    assert_imports_refused(browser, database_url, HOSTILE_IMPORTS)


def test_hidden_characters_are_removed_from_an_imported_profile(browser, database_url):
    browser.register("ada@example.com")
    payload = _profile_with(
        principles=["Quiet\x00 geometry", "\u202eevil\u202c light", "\x1b[31mred\x1b[0m"],
        texture_feel="Fine\u2066 grain\x07",
    )
    assert import_file(browser, payload).status_code == 302
    with db(database_url) as session:
        (version,) = session.scalars(select(LibraryVersion)).all()
    assert version.data["principles"] == ["Quiet geometry", "evil light", "[31mred[0m"]
    assert version.data["texture_feel"] == "Fine grain"


def test_a_long_file_name_still_imports_under_a_shortened_name(browser, database_url):
    browser.register("ada@example.com")
    body = json.loads(document(with_refs=False))
    del body["name"]
    response = import_file(browser, json.dumps(body).encode(), filename="n" * 200 + ".json")
    assert response.status_code == 302
    with db(database_url) as session:
        (entry,) = session.scalars(select(LibraryProfile)).all()
        assert entry.name == "n" * 120


def _largest_allowed_profile() -> bytes:
    """Every text field at its limit, and measurements of the most references allowed."""
    summary = measure_set([measure(Image.new("RGB", (64, 64), (200, 90, 40)))] * MAX_REFERENCES)
    words = "swirling " * (MAX_SENTENCE_CHARS // 9)
    return _profile_with(
        principles=[f"{i} " + "p" * (MAX_ITEM_CHARS - 2) for i in range(MAX_ITEMS)],
        avoid_list=[f"{i} " + "a" * (MAX_ITEM_CHARS - 2) for i in range(MAX_ITEMS)],
        **{name: words[:MAX_SENTENCE_CHARS] for name in SENTENCE_FIELDS},
        measurements=summary.stored(),
    )


def test_the_largest_profile_allowed_keeps_runs_and_pages_small(browser, redis_conn, database_url):
    """Finding 5: a 4.9 MB imported profile once grew the database by 57 MB in two iterations,
    and its page and polled partial were 24.5 MB each. The limits bound all three."""
    browser.register("ada@example.com")
    payload = _largest_allowed_profile()
    profile_id = import_ok(browser, payload)
    response = browser.post(
        f"/library/{profile_id}/start",
        {"intent": "i" * 300, "max_iterations": "2", "threshold": "9.9", "gate_low": "9.8"},
    )
    run_id = re.search(rf"/runs/({PUBLIC_ID})", response.headers["Location"]).group(1)
    work(redis_conn)
    with db(database_url) as session:
        run = run_row(session, run_id)
        assert run.phase == "done" and len(run.iterations) == 2
        stored = sum(len(json.dumps(v.data)) for v in run.profiles) + sum(
            len(it.prompt) + len(it.revised_prompt) + len(json.dumps(it.candidates))
            for it in run.iterations
        )
    page = browser.get(f"/runs/{run_id}").get_data()
    partial = browser.get(f"/runs/{run_id}/status").get_data()
    print(
        f"file {len(payload)} B, run text {stored} B, page {len(page)} B, partial {len(partial)} B"
    )
    assert len(payload) < 1_000_000
    assert stored < 1_000_000
    assert len(page) < 400_000 and len(partial) < 400_000


def test_an_import_with_overflowing_style_numbers_is_refused_and_nothing_breaks(
    browser, database_url
):
    """Four style values of 1e308 sum to infinity: such a file is refused with a message, and
    the person's library (and every other page) keeps answering."""
    measured = extracted(load_set("van-gogh-swirling-landscapes")[:3]).measurements.stored()
    for ref in measured["references"]:
        ref["style"] = [1e308] * len(ref["style"])
    measured["style"]["mean"] = [1e308] * len(measured["style"]["mean"])
    payload = json.loads(document())
    payload["profile"]["measurements"] = measured
    browser.register("ada@example.com")
    response = import_file(browser, json.dumps(payload).encode())
    assert response.status_code == 400
    assert "must be within" in response.get_data(as_text=True)
    assert browser.get("/library/").status_code == 200
    with db(database_url) as session:
        assert session.scalar(select(func.count(LibraryProfile.id))) == 0


def test_a_double_click_saves_once_and_starts_one_run(browser, redis_conn, database_url):
    """The same form sent twice (its one-time token with it) makes one library entry and one
    run; the repeat is sent to what the first made. A fresh form makes a fresh one."""
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    work(redis_conn)
    page = browser.get(f"/runs/{run_id}").get_data(as_text=True)
    token = re.search(r'name="once" value="([^"]+)"', page).group(1)
    saved = [
        browser.post(f"/library/save-run/{run_id}", {"name": "Twice", "once": token})
        for _ in range(2)
    ]
    assert saved[0].status_code == 302 and saved[1].status_code == 303
    assert saved[1].headers["Location"] == saved[0].headers["Location"]
    with db(database_url) as session:
        assert session.scalar(select(func.count(LibraryProfile.id))) == 1
    profile_id = int(re.search(r"/library/(\d+)$", saved[0].headers["Location"]).group(1))

    page = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    token = re.search(r'name="once" value="([^"]+)"', page).group(1)
    form = {"intent": "a lighthouse", "max_iterations": "1", "once": token}
    started = [browser.post(f"/library/{profile_id}/start", form) for _ in range(2)]
    assert started[1].headers["Location"] == started[0].headers["Location"]
    with db(database_url) as session:
        assert session.scalar(select(func.count(Run.id))) == 2  # the first run and one more
    again = browser.get(f"/library/{profile_id}").get_data(as_text=True)
    fresh = re.search(r'name="once" value="([^"]+)"', again).group(1)
    assert fresh != token


def test_a_start_refused_by_a_form_error_can_be_sent_again(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    work(redis_conn)
    profile_id = save_to_library(browser, run_id)
    token = "t" * 22
    bad = browser.post(f"/library/{profile_id}/start", {"intent": " ", "once": token})
    assert bad.status_code == 400
    good = browser.post(f"/library/{profile_id}/start", {"intent": "a lighthouse", "once": token})
    assert good.status_code == 302 and "/runs/" in good.headers["Location"]


# the library as a style picker ----------------------------------------------------------------
def library_count(database_url) -> int:
    with db(database_url) as session:
        return session.scalar(select(func.count(LibraryProfile.id)))


def test_saving_or_importing_a_kept_taste_says_so_and_adds_nothing(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    work(redis_conn)
    profile_id = save_to_library(browser, run_id)
    again = browser.post(f"/library/save-run/{run_id}", {"name": "Second copy"})
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"/library/{profile_id}?v=1")
    page = html.unescape(browser.get(again.headers["Location"]).get_data(as_text=True))
    assert "already in your library as “Moody blues” (version 1)" in page
    exported = browser.get(f"/library/{profile_id}/export.json?references=1").data
    imported = import_file(browser, exported)
    assert imported.headers["Location"].endswith(f"/library/{profile_id}?v=1")
    # a run started from the library and saved again is the same taste too
    started = browser.post(
        f"/library/{profile_id}/start", {"intent": "a lighthouse", "max_iterations": "1"}
    )
    new_run = re.search(rf"/runs/({PUBLIC_ID})", started.headers["Location"]).group(1)
    work(redis_conn)
    assert browser.post(f"/library/save-run/{new_run}", {"name": "x"}).status_code == 302
    assert library_count(database_url) == 1
    # a changed taste is a new entry
    edited = document(with_refs=False)
    assert import_file(browser, edited).status_code == 302
    assert library_count(database_url) == 2


def start_version(browser, redis_conn, database_url, profile_id, **form) -> int:
    response = browser.post(
        f"/library/{profile_id}/start", {"intent": "a lighthouse", "max_iterations": "1", **form}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    run_id = re.search(rf"/runs/({PUBLIC_ID})", response.headers["Location"]).group(1)
    with db(database_url) as session:
        return session.get(LibraryVersion, run_row(session, run_id).library_version_id).version


def test_a_reextraction_is_offered_and_never_becomes_the_version_runs_use(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    work(redis_conn)
    profile_id = save_to_library(browser, run_id)
    browser.post(f"/library/{profile_id}/edit", edit_fields(browser, profile_id, principles="Mine"))
    browser.post(f"/library/{profile_id}/reextract")
    work(redis_conn)
    _, versions, _ = library_entry(database_url, profile_id)
    assert len(versions) == 3  # saved, edited, re-extracted

    page = html.unescape(browser.get(f"/library/{profile_id}").get_data(as_text=True))
    assert "version 2 of 3" in page and "new runs start from this version" in page
    assert "new runs still start from version 2, your choice" in page
    assert '<option value="2" selected>v2 · edited · your choice</option>' in page
    assert "v2" in browser.get("/library/").get_data(as_text=True)
    assert start_version(browser, redis_conn, database_url, profile_id) == 2
    work(redis_conn)

    third = browser.get(f"/library/{profile_id}?v=3").get_data(as_text=True)
    assert "Start new runs from version 3" in third
    assert browser.post(f"/library/{profile_id}/choose", {"version": "3"}).status_code == 302
    assert "New runs now start from version 3" in browser.get(f"/library/{profile_id}").get_data(
        as_text=True
    )
    assert start_version(browser, redis_conn, database_url, profile_id) == 3
    assert browser.post(f"/library/{profile_id}/choose", {"version": "9"}).status_code == 404


def test_an_edit_of_an_older_version_starts_from_that_version(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    profile_id = save_to_library(browser, confirmed_run(browser, redis_conn))
    browser.post(f"/library/{profile_id}/edit", edit_fields(browser, profile_id, principles="Two"))
    fields = confirm_fields(browser.get(f"/library/{profile_id}?v=1").get_data(as_text=True))
    assert fields["base"] == "1"
    unchanged = browser.post(f"/library/{profile_id}/edit", fields)
    assert "Nothing changed" in browser.get(unchanged.headers["Location"]).get_data(as_text=True)
    fields["texture_feel"] = "Dry chalk over rough paper."
    browser.post(f"/library/{profile_id}/edit", fields)
    _, versions, _ = library_entry(database_url, profile_id)
    assert len(versions) == 3
    assert versions[2]["texture_feel"] == "Dry chalk over rough paper."
    assert versions[2]["principles"] == versions[0]["principles"] != ["Two"]


def test_export_names_say_the_taste_the_version_and_which_export(browser, redis_conn, database_url):
    browser.register("ada@example.com")
    profile_id = save_to_library(browser, confirmed_run(browser, redis_conn), "Café / Nights!")
    plain = browser.get(f"/library/{profile_id}/export.json")
    full = browser.get(f"/library/{profile_id}/export.json?references=1")
    assert 'filename="tasteloop-caf-nights-v1.json"' in plain.headers["Content-Disposition"]
    assert (
        'filename="tasteloop-caf-nights-v1-with-references.json"'
        in full.headers["Content-Disposition"]
    )


def test_a_card_shows_a_picture_made_with_the_taste_and_starts_a_run(
    browser, redis_conn, database_url
):
    browser.register("ada@example.com")
    run_id = confirmed_run(browser, redis_conn)
    profile_id = save_to_library(browser, run_id)
    listing = browser.get("/library/").get_data(as_text=True)
    assert "the newest picture made with" not in listing  # nothing painted yet
    assert f'href="/library/{profile_id}#start">Start a run</a>' in listing
    work(redis_conn)
    listing = browser.get("/library/").get_data(as_text=True)
    picture = re.search(rf'src="(/runs/{run_id}/images/[0-9a-f]+\?w=320)"', listing)
    assert picture and browser.get(picture.group(1)).status_code == 200
    assert 'id="start"' in browser.get(f"/library/{profile_id}").get_data(as_text=True)
