"""Taste profiles for tests."""

from __future__ import annotations

import hashlib

from tasteloop.domain.profile import TasteProfile


def make_profile(**overrides):
    fields = dict(
        principles=["restraint over spectacle", "one warm accent per picture", "grain is welcome"],
        palette_tendency="muted warm earth anchored by #8a5a44",
        compositional_style="off-centre subject with wide negative space",
        emotional_register="quiet, melancholic calm",
        texture_feel="fine film grain over soft gradients",
        avoid_list=["neon colour", "crowded frames", "glossy 3D rendering"],
    )
    fields.update(overrides)
    return TasteProfile(**fields)


_extracted: dict[str, TasteProfile] = {}


def extracted(images: list[bytes] | tuple[bytes, ...]) -> TasteProfile:
    """The offline extractor's profile of these images, worked out once per test session (the
    shared sets are extracted by many tests)."""
    from tasteloop.offline.extractor import OfflineExtractor

    key = hashlib.sha256(b"".join(hashlib.sha256(i).digest() for i in images)).hexdigest()
    if key not in _extracted:
        _extracted[key] = OfflineExtractor().extract(list(images)).profile
    return _extracted[key]
