"""Access to ../shared/refsets for tests (skips cleanly when the shared folder is absent)."""

from pathlib import Path

import pytest

REFSETS = Path(__file__).resolve().parent.parent.parent / "shared" / "refsets"


def set_dir(name: str) -> Path:
    folder = REFSETS / name
    if not folder.is_dir():
        pytest.skip(f"shared reference set {name} not found at {folder}")
    return folder


def load_set(name: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(set_dir(name).glob("*.jpg"))]
