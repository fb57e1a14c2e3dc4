"""The profile file format: a taste profile as JSON with a schema version.

{"format": "tasteloop.profile", "schema_version": 3, "name": "...", "profile": {...},
 "references": ["data:image/jpeg;base64,...", ...]}   (references optional)

Version 2 added the learned style: each reference's style vector and the set's weighted mean in
`profile.measurements`, and a person's controls in `profile.style` (strength, one weight per
reference). Version 1 files still import; they paint with the references' style when the file
carries the references, and take the default controls.

Version 3 added the swatches: `profile.palette`, the colours as #rrggbb, heaviest first. Older
files' swatches are the hex codes their palette sentence names.

A bare TasteProfile JSON object (as written by `tasteloop extract --out`) is read too.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from tasteloop.domain.profile import TasteProfile

FORMAT = "tasteloop.profile"
SCHEMA_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
MAX_FILE_BYTES = 5 * 1024 * 1024


class ProfileFileError(ValueError):
    """The file is not a profile we can use; the message says why."""


def profile_document(
    profile: TasteProfile, name: str, references: list[str] | None = None
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "profile": profile.model_dump(mode="json"),
    }
    if references:
        document["references"] = references
    return document


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_profile_document(data: bytes) -> tuple[TasteProfile, dict[str, Any]]:
    if len(data) > MAX_FILE_BYTES:
        raise ProfileFileError(
            f"the file is {len(data) / 1e6:.1f} MB; profile files are limited to "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB"
        )
    try:
        document = json.loads(data, parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise ProfileFileError(
            "this is not a JSON file: it is not text (a picture or another binary file?)"
        ) from None
    except json.JSONDecodeError as exc:
        raise ProfileFileError(
            f"this is not a JSON file: it stops reading as JSON at line {exc.lineno}, "
            f"character {exc.colno}"
        ) from None
    except RecursionError:
        raise ProfileFileError("the JSON is nested too deeply to be a profile") from None
    except ValueError as exc:  # NaN/Infinity, or an integer of thousands of digits
        raise ProfileFileError(f"the JSON holds a value a profile cannot ({exc})") from None
    if not isinstance(document, dict):
        raise ProfileFileError("a profile file must hold a JSON object")
    if "format" in document or "schema_version" in document:
        if document.get("format") != FORMAT:
            raise ProfileFileError(
                f"unknown format {document.get('format')!r}; expected {FORMAT!r}"
            )
        version = document.get("schema_version")
        if type(version) is not int or version not in READABLE_VERSIONS:  # `true == 1`
            raise ProfileFileError(
                f"schema version {version!r} is not supported (this tasteloop reads versions "
                f"{', '.join(map(str, READABLE_VERSIONS))})"
            )
        body = document.get("profile")
        if not isinstance(body, dict):
            raise ProfileFileError("the file has no 'profile' object")
    else:
        body, document = document, {}
    try:
        return TasteProfile.model_validate(body), document
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'profile'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ProfileFileError(f"the profile is incomplete or invalid ({problems})") from None


def read_profile_file(data: bytes) -> TasteProfile:
    return parse_profile_document(data)[0]
