import pytest
from pydantic import ValidationError

from tasteloop.domain.critique import CritiqueResult, format_critique
from tasteloop.domain.profile import CRITIQUE_DIMENSIONS
from tasteloop.domain.prompts import initial_prompt
from tests.support.profiles import make_profile


def test_dimensions_are_declared_in_order():
    assert CRITIQUE_DIMENSIONS == (
        "palette_tendency",
        "compositional_style",
        "emotional_register",
        "texture_feel",
        "avoid_list",
    )


def test_principles_must_not_be_empty():
    with pytest.raises(ValidationError, match="at least one principle"):
        make_profile(principles=[])
    with pytest.raises(ValidationError, match="at least one principle"):
        make_profile(principles=["  ", ""])


def test_blank_sentence_is_rejected():
    with pytest.raises(ValidationError):
        make_profile(palette_tendency="   ")


@pytest.mark.parametrize("score", [-0.1, 10.01])
def test_score_out_of_range_is_rejected(score):
    with pytest.raises(ValidationError):
        CritiqueResult(
            score=score,
            breakdown={d: 5 for d in CRITIQUE_DIMENSIONS},
            reasoning="r",
            revised_prompt="p",
        )


def test_breakdown_needs_exactly_the_five_dimensions():
    partial = {d: 5 for d in CRITIQUE_DIMENSIONS[:4]}
    with pytest.raises(ValidationError, match="missing"):
        CritiqueResult(score=5, breakdown=partial, reasoning="r", revised_prompt="p")
    extra = {**{d: 5 for d in CRITIQUE_DIMENSIONS}, "lighting": 3}
    with pytest.raises(ValidationError, match="unexpected"):
        CritiqueResult(score=5, breakdown=extra, reasoning="r", revised_prompt="p")


def test_breakdown_values_within_range():
    bad = {**{d: 5 for d in CRITIQUE_DIMENSIONS}, "texture_feel": 11}
    with pytest.raises(ValidationError, match="texture_feel"):
        CritiqueResult(score=5, breakdown=bad, reasoning="r", revised_prompt="p")


def test_breakdown_is_rekeyed_in_declared_order():
    reversed_input = {d: i for i, d in enumerate(reversed(CRITIQUE_DIMENSIONS))}
    result = CritiqueResult(score=5, breakdown=reversed_input, reasoning="r", revised_prompt="p")
    assert list(result.breakdown) == list(CRITIQUE_DIMENSIONS)


def test_initial_prompt_contains_every_field():
    profile = make_profile()
    prompt = initial_prompt("a harbour at dusk", profile)
    assert prompt.startswith("a harbour at dusk")
    assert "; ".join(profile.principles) in prompt
    for text in (
        profile.palette_tendency,
        profile.compositional_style,
        profile.emotional_register,
        profile.texture_feel,
    ):
        assert text in prompt
    assert "neon colour; crowded frames; glossy 3D rendering" in prompt


def test_format_critique_orders_and_rounds():
    breakdown = {
        "avoid_list": 9.04,
        "texture_feel": 3.0,
        "emotional_register": 7.56,
        "compositional_style": 6.0,
        "palette_tendency": 4.449,
    }
    result = CritiqueResult(
        score=6.349, breakdown=breakdown, reasoning="palette too cold", revised_prompt="warmer"
    )
    text = format_critique(0, result)
    assert text.splitlines()[0] == "Iteration 1: score 6.3/10"
    positions = [
        text.index(label)
        for label in (
            "Palette",
            "Composition",
            "Emotional register",
            "Texture / medium",
            "Avoid-list",
        )
    ]
    assert positions == sorted(positions)
    assert "  4.4" in text and "  7.6" in text and "  9.0" in text
    assert "Reasoning: palette too cold" in text
    assert "Revised prompt: warmer" in text
    assert format_critique(4, result).startswith("Iteration 5:")


def test_profile_files_carry_the_swatches_and_older_files_keep_their_hex_colours():
    import json

    from tasteloop.domain.profile_file import SCHEMA_VERSION, parse_profile_document
    from tasteloop.domain.profile_file import profile_document as document_of

    profile = make_profile(palette=["#112233", "#c0ffee"])
    written = json.dumps(document_of(profile, "Mine")).encode()
    read, document = parse_profile_document(written)
    assert document["schema_version"] == SCHEMA_VERSION == 3
    assert read.palette == ["#112233", "#c0ffee"]
    older = document_of(make_profile(), "Old")
    older["schema_version"] = 2
    del older["profile"]["palette"]
    read, _ = parse_profile_document(json.dumps(older).encode())
    assert read.palette == ["#8a5a44"]  # named in its palette sentence
