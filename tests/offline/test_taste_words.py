"""The offline extractor describes a taste as a person would: what every reference shares, in
words and not figures, with swatches for the colours."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tasteloop.domain.profile import SENTENCE_FIELDS
from tasteloop.measure.avoid_rules import rules_for_text
from tasteloop.offline.layout_spec import parse_prompt
from tasteloop.offline.taste_words import accents_and_grounds
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


def _greys_with_an_accent(greys: list[int], accent: tuple[int, int, int]) -> bytes:
    """Bands of greys over most of the picture and one small patch of a strong colour."""
    image = Image.new("RGB", (240, 240))
    band = 240 // len(greys)
    for k, grey in enumerate(greys):
        image.paste((grey, grey, grey), (0, k * band, 240, (k + 1) * band))
    image.paste(accent, (96, 96, 144, 144))  # 4 % of the picture
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_small_strong_colour_is_a_swatch_and_named_before_the_greys():
    """A person names the vermilion that strikes the eye, not only the greys that fill the
    canvas: the swatches used to be the heaviest colours alone."""
    vermilion = (215, 50, 30)
    profile = extracted(
        [
            _greys_with_an_accent([30, 70, 110, 150, 190, 230], vermilion),
            _greys_with_an_accent([45, 90, 130, 170, 210], vermilion),
            _greys_with_an_accent([20, 60, 100, 140, 180, 220], vermilion),
        ]
    )
    swatches = profile.measurements.palette
    assert any(c.lab[1] > 40 for c in swatches), [c.hex for c in swatches]
    # a set of greys: ink on paper, with the touch of colour every picture shows
    assert profile.palette_tendency.startswith("Ink on paper")
    assert "with a touch of vermilion" in profile.palette_tendency
    assert "no colour" not in profile.palette_tendency
    assert "vermilion" in profile.principles[0]
    # and the avoid-list does not rule out what every reference does
    colourless = [item for item in profile.avoid_list if "colour" in item]
    assert colourless and all("beyond a touch of vermilion" in item for item in colourless)
    assert all(rules_for_text(item) for item in colourless)  # still measured


@pytest.mark.parametrize("name", ["expressionist-vivid-color", "van-gogh-swirling-landscapes"])
def test_a_coloured_set_names_its_colours_before_its_greys(name):
    """The expressionists were "charcoal, ochre, umber and cool grey"."""
    profile = extracted(load_set(name))
    accents, _ = accents_and_grounds(profile.measurements)
    assert len(accents) >= 2
    assert not any(g in " ".join(accents) for g in ("grey", "charcoal", "black", "white", "umber"))
    named = profile.palette_tendency.split(": ", 1)[1]
    assert named.startswith(", ".join(accents[:-1])), (accents, named)


def test_a_set_without_one_manner_names_the_manners_it_holds():
    """It said "Mark-making varies: worked passages in some pictures, flatter ones in others"
    of any mixed set; now it names what its pictures do, in words the painter does not act on
    (each holds for some pictures only)."""
    profile = extracted(load_set("cubist-dynamism-1913"))
    sentence = profile.texture_feel
    assert sentence.startswith("Mark-making differs from picture to picture: ")
    assert "black contour lines in some" in sentence  # Léger's and Kandinsky's
    defaults = parse_prompt("a harbour")
    painted = parse_prompt(f"a harbour. Texture: {sentence}")
    for quality in ("softness", "brushwork", "grain", "density", "straightness"):
        assert getattr(painted, quality) == getattr(defaults, quality), quality


def test_a_set_without_one_arrangement_names_the_arrangements_it_holds():
    """It said "No one arrangement: the references are composed in different ways" of any
    mixed set; now it names how its pictures are composed, without moving the painter."""
    profile = extracted(load_set("monochrome-ink-and-etching"))
    sentence = profile.compositional_style
    assert sentence.startswith("Composed differently from picture to picture: ")
    assert "much open space" in sentence  # the piano sketch and the portraits' bare paper
    defaults = parse_prompt("a harbour")
    painted = parse_prompt(f"a harbour. Composition: {sentence}")
    for quality in ("placement", "density", "energy", "motifs", "straightness"):
        assert getattr(painted, quality) == getattr(defaults, quality), quality
