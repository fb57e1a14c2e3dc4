"""Locate and load the shared reference sets (../shared/refsets from the project root)."""

from __future__ import annotations

import os
from pathlib import Path

from tasteloop.images import reencode_upload

ROOT = Path(__file__).resolve().parent.parent


def refsets_dir() -> Path:
    configured = os.environ.get("TASTELOOP_REFSETS")
    return Path(configured) if configured else ROOT.parent / "shared" / "refsets"


def load_set(folder: Path, as_uploaded: bool = False) -> list[bytes]:
    """One set's image bytes, in file-name order: the files as they are, or, with
    `as_uploaded`, re-encoded the way the web upload and the CLI store them."""
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in {".jpg", ".jpeg", ".png"})
    return [
        reencode_upload(f.read_bytes(), name=f.name)[0] if as_uploaded else f.read_bytes()
        for f in files
    ]


def load_sets(as_uploaded: bool = False) -> dict[str, list[bytes]]:
    """Every shared set's image bytes (what a user's profile is extracted from, with
    `as_uploaded`)."""
    base = refsets_dir()
    return {
        folder.name: load_set(folder, as_uploaded)
        for folder in sorted(p for p in base.iterdir() if p.is_dir())
    }
