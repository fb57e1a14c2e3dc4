"""The shared reference sets (../shared/refsets from the project root, or TASTELOOP_REFSETS).

Tests skip cleanly when a set is absent; benchmarks load every set there is.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tasteloop.images import reencode_upload

ROOT = Path(__file__).resolve().parents[2]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def refsets_dir() -> Path:
    configured = os.environ.get("TASTELOOP_REFSETS")
    return Path(configured) if configured else ROOT.parent / "shared" / "refsets"


REFSETS = refsets_dir()


def set_dir(name: str) -> Path:
    """A shared set's folder; the test is skipped when it is not there."""
    folder = refsets_dir() / name
    if not folder.is_dir():
        pytest.skip(f"shared reference set {name} not found at {folder}")
    return folder


def read_set(folder: Path, as_uploaded: bool = False) -> list[bytes]:
    """One set's image bytes, in file-name order: the files as they are, or, with `as_uploaded`,
    re-encoded the way the web upload and the CLI store them."""
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    return [
        reencode_upload(f.read_bytes(), name=f.name)[0] if as_uploaded else f.read_bytes()
        for f in files
    ]


def load_set(name: str, as_uploaded: bool = False) -> list[bytes]:
    return read_set(set_dir(name), as_uploaded)


def load_sets(as_uploaded: bool = False) -> dict[str, list[bytes]]:
    """Every shared set's image bytes (what a user's profile is extracted from, with
    `as_uploaded`)."""
    base = refsets_dir()
    return {
        folder.name: read_set(folder, as_uploaded)
        for folder in sorted(p for p in base.iterdir() if p.is_dir())
    }
