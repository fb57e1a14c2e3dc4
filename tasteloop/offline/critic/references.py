"""What the offline critic judges against: the profile's measured references, without those the
person weighted 0; for a profile with no measurements, a picture of its own words."""

from __future__ import annotations

import json
import threading

from tasteloop.domain.profile import TasteProfile
from tasteloop.measure.features import measure
from tasteloop.measure.reference_set import measure_set
from tasteloop.measure.schema import Measurements
from tasteloop.offline.critic.scoring import SetSpread

CACHE_SIZE = 64  # a long-lived worker sees many profiles


class ReferenceMeasurements:
    """The measurements a profile is judged against, worked out once per profile and weights."""

    def __init__(self) -> None:
        self._from_words: dict[str, Measurements] = {}
        self._weighted: dict[str, Measurements] = {}
        self._spreads: dict[str, SetSpread] = {}
        self._lock = threading.Lock()

    def of(self, profile: TasteProfile) -> Measurements:
        measured = profile.measurements
        if measured is None:
            return self._words_pictured(profile)
        weights = profile.style.weights
        if not weights or len(weights) != len(measured.references) or all(w > 0 for w in weights):
            return measured
        return self._without_left_out(measured, weights)

    def spread(self, measured: Measurements) -> SetSpread:
        """The set's own spread, worked out once per set of measurements."""
        key = measured.model_dump_json(include={"references"})
        with self._lock:
            found = self._spreads.get(key)
        if found is None:
            found = SetSpread.of(measured)
            with self._lock:
                if len(self._spreads) > CACHE_SIZE:
                    self._spreads.clear()
                self._spreads[key] = found
        return found

    def _words_pictured(self, profile: TasteProfile) -> Measurements:
        """A profile typed by hand, or from a gateway that sent no measurements: its own words
        generated as a picture, and judged against that."""
        from tasteloop.offline.generator import OfflineGenerator

        key = profile.model_dump_json(exclude={"measurements"})
        with self._lock:
            found = self._from_words.get(key)
        if found is None:
            text = " ".join(
                [
                    *profile.principles,
                    profile.palette_tendency,
                    profile.compositional_style,
                    profile.emotional_register,
                    profile.texture_feel,
                    ", ".join(profile.palette),
                ]
            )
            found = measure_set([measure(OfflineGenerator(size=512).render(text))])
            with self._lock:
                self._from_words[key] = found
        return found

    def _without_left_out(self, measured: Measurements, weights: list[float]) -> Measurements:
        """Only the references weighted above 0 (their statistics and avoid limits too); the
        set's style is already their weighted mean."""
        key = json.dumps([weights, measured.style.model_dump() if measured.style else None])
        with self._lock:
            found = self._weighted.get(key)
        if found is None:
            kept = [r for r, w in zip(measured.references, weights, strict=True) if w > 0]
            found = measure_set(kept).model_copy(update={"style": measured.style})
            with self._lock:
                if len(self._weighted) > CACHE_SIZE:
                    self._weighted.clear()
                self._weighted[key] = found
        return found
