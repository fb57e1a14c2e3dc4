"""Offline taste extraction: measure each reference, keep what the set shares, say it in words."""

from __future__ import annotations

import time

from tasteloop.domain.engine import CallUsage, Extraction
from tasteloop.measure.learned_style import measure_references
from tasteloop.offline import OFFLINE_MODELS
from tasteloop.offline.taste_words import profile_from_measurements


class OfflineExtractor:
    model = OFFLINE_MODELS["extract"]

    def extract(self, images: list[bytes]) -> Extraction:
        started = time.perf_counter()
        profile = profile_from_measurements(measure_references(images))
        usage = CallUsage("extract", self.model, time.perf_counter() - started)
        return Extraction(profile=profile, usage=(usage,))
