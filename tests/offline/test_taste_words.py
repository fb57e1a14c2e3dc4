"""The offline extractor describes a taste as a person would: what every reference shares, in
words and not figures, with swatches for the colours."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tasteloop.domain.profile import SENTENCE_FIELDS
from tasteloop.measure.avoid_rules import rules_for_text
from tests.support.profiles import extracted
from tests.support.refsets import REFSETS, load_set, load_sets

FIGURES = re.compile(r"#[0-9a-f]{3,6}\b|\d+(\.\d+)?\s*%|\b\d+(\.\d+)?\b", re.IGNORECASE)


def _sentences(profile) -> list[str]:
    return [getattr(profile, name) for name in SENTENCE_FIELDS] + [
        *profile.principles,
        *profile.avoid_list,
    ]


def _flipped(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB").transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(load_sets()) if REFSETS.is_dir() else [])
def test_every_set_is_described_in_words_with_swatches(name):
    profile = extracted(load_sets()[name])
    for sentence in _sentences(profile):
        assert not FIGURES.search(sentence), sentence
    assert 3 <= len(profile.principles) <= 5 and 3 <= len(profile.avoid_list) <= 5
    assert len(profile.avoid_list) == len(set(profile.avoid_list))
    # the colours the words name are the profile's swatches, heaviest first
    assert 3 <= len(profile.palette) <= 5
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in profile.palette)
    assert profile.palette == [c.hex for c in profile.measurements.palette]


def test_a_measured_avoid_item_is_kept_by_every_reference():
    """Each avoid item the critic can check sits beyond every reference's own value."""
    for images in load_sets().values():
        profile = extracted(images)
        measured = profile.measurements
        for item in profile.avoid_list:
            for rule in rules_for_text(item):
                limit = next((a.limit for a in measured.avoid if a.key == rule.key), None)
                if limit is None:
                    continue
                for reference in measured.references:
                    assert not rule.violated(reference.features[rule.feature], limit), item


def test_a_trait_is_named_only_when_every_reference_shows_it():
    """Van Gogh's skies are lighter than his ground in every picture; turn one picture upside
    down and the set no longer shares that light, so its words stop saying so."""
    skies = load_set("van-gogh-swirling-landscapes")
    shared = extracted(skies)
    assert "light sky over a darker ground" in shared.compositional_style
    assert any("light above" in p for p in shared.principles)
    mixed = extracted([*skies[:-1], _flipped(skies[-1])])
    assert "sky" not in mixed.compositional_style
    assert not any("sky" in p for p in mixed.principles)
    assert not any("sky" in item for item in mixed.avoid_list)


def test_a_set_without_colour_is_called_ink_and_avoids_colour():
    profile = extracted(load_set("monochrome-ink-and-etching"))
    assert "no colour" in profile.palette_tendency
    assert any(rules_for_text(item) and "colour" in item for item in profile.avoid_list)
    assert not any("saturated" in item for item in profile.avoid_list)
