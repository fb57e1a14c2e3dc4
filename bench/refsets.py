"""Locate and load the shared reference sets (../shared/refsets from the project root)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def refsets_dir() -> Path:
    configured = os.environ.get("TASTELOOP_REFSETS")
    return Path(configured) if configured else ROOT.parent / "shared" / "refsets"


def load_sets() -> dict[str, list[bytes]]:
    base = refsets_dir()
    sets = {}
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() in {".jpg", ".jpeg", ".png"})
        sets[folder.name] = [f.read_bytes() for f in files]
    return sets
