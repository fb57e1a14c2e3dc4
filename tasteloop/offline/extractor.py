"""Offline taste extraction: measure each reference, keep what the set shares."""

from __future__ import annotations

import time

from tasteloop.engine_types import CallUsage, Extraction
from tasteloop.images import EXTRACTION_SIDE, decode_image
from tasteloop.offline import OFFLINE_MODELS
from tasteloop.offline.measure import measure
from tasteloop.offline.taste_set import profile_from_summary, summarise


class MeasuredExtractor:
    model = OFFLINE_MODELS["extract"]

    def extract(self, images: list[bytes]) -> Extraction:
        started = time.perf_counter()
        measurements = [measure(decode_image(data, max_side=EXTRACTION_SIDE)) for data in images]
        profile = profile_from_summary(summarise(measurements))
        usage = CallUsage("extract", self.model, time.perf_counter() - started)
        return Extraction(profile=profile, usage=(usage,))
