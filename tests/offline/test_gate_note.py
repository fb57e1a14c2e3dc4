"""The offline engine reading a person's note at the gate."""

import pytest

from tasteloop.domain.engine import Brief, GenerationInputs
from tasteloop.measure.learned_style import measure_candidate
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.gate_note import read_note
from tasteloop.offline.generator import OfflineGenerator
from tasteloop.offline.layout_spec import parse_adjustments, parse_prompt
from tests.support.profiles import make_profile

PROMPT = "a harbour at dusk, #223344 (40%), calm. Adjustments: detail +1, grain -1."


@pytest.mark.parametrize(
    "note,control,steps",
    [
        ("warmer", "warmth", 2),
        ("cooler please", "warmth", -2),
        ("much darker", "lightness", -4),
        ("a bit brighter", "lightness", 2),
        ("more contrast", "contrast", 2),
        ("more muted", "saturation", -2),
        ("grainier", "grain", 2),
        ("sharper", "softness", -2),
        ("more painterly", "brushwork", 2),
        ("more geometric", "straightness", 2),
        ("busier", "detail", 2),
        ("simpler", "detail", -2),
    ],
)
def test_comparatives_become_adjustments(note, control, steps):
    revision = read_note(PROMPT, note)
    before = parse_adjustments(PROMPT).get(control, 0)
    assert parse_adjustments(revision.prompt)[control] == before + steps
    assert revision.acted_on and f"{control} {steps:+d}" in revision.acted_on[0]
    assert revision.not_understood == ()


def test_words_the_renderer_knows_stay_in_the_prompt_and_unknown_ones_are_reported():
    revision = read_note(PROMPT, "fewer boats, more swirls and a lighthouse")
    assert "swirls" in parse_prompt(revision.prompt).motifs
    assert revision.not_understood == ("boats", "lighthouse")
    assert any("swirls" in line for line in revision.acted_on)
    assert parse_adjustments(revision.prompt)["detail"] == -1  # +1 then "fewer" -2


def test_the_critics_revision_is_kept_and_the_note_never_repeats_an_adjusted_phrase():
    revision = read_note(PROMPT, "more grain")
    assert revision.prompt.startswith("a harbour at dusk, #223344 (40%), calm. Adjustments:")
    assert "more grain" not in revision.prompt  # adjusted, not repeated as words
    assert parse_prompt(revision.prompt).grain > parse_prompt(PROMPT).grain


def test_a_note_with_nothing_to_act_on_says_so():
    revision = read_note(PROMPT, "more boats")
    assert revision.not_understood == ("boats",) and revision.acted_on == ()
    assert "The person's note: more boats." in revision.prompt


def test_warmth_moves_the_painting_and_the_critic_measures_it():
    generator = OfflineGenerator(size=256)
    plain = generator.render_png("a harbour at dusk, #5a6a7a, #c0b090")
    warm = generator.render_png(
        read_note("a harbour at dusk, #5a6a7a, #c0b090", "much warmer").prompt
    )
    cool = generator.render_png(read_note("a harbour at dusk, #5a6a7a, #c0b090", "cooler").prompt)
    warmth = [measure_candidate(x).features["warmth"] for x in (cool, plain, warm)]
    assert warmth[0] < warmth[1] < warmth[2]


def test_the_measured_critic_applies_notes_and_leaves_pairs_to_the_scores():
    critic = OfflineCritic()
    profile = make_profile()
    assert critic.compare(b"a", b"b", Brief(profile, "x")) is None
    assert critic.apply_note(PROMPT, "warmer", Brief(profile, "x")) == read_note(PROMPT, "warmer")


def test_the_words_around_a_note_paint_nothing_themselves():
    """The note is added as "The person's note: …": a harbour must not grow a figure."""
    revision = read_note("a harbour at dusk", "fewer boats")
    assert "boats" in revision.prompt
    assert parse_prompt(revision.prompt).motifs == parse_prompt("a harbour at dusk").motifs


def test_the_next_critique_never_asks_to_undo_the_persons_note():
    """After "much darker, more contrast" the picture is darker than the references: the critic
    would ask for lighter values, but the person asked for darker, and the person leads."""
    from tasteloop.domain.prompts import initial_prompt
    from tasteloop.domain.style import style_target
    from tasteloop.offline.layout_spec import locked_qualities
    from tests.support.profiles import extracted
    from tests.support.refsets import load_set

    profile = extracted(load_set("expressionist-vivid-color"))
    before = initial_prompt("a harbour at dusk", profile)
    noted = read_note(before, "much darker, more contrast").prompt
    assert locked_qualities(noted) == {"lightness", "contrast"}
    assert parse_adjustments(noted)["lightness"] == -4
    generator = OfflineGenerator(size=512)
    inputs = GenerationInputs(style=style_target(profile))
    plain = generator.generate(before, inputs=inputs)
    darker = generator.generate(noted, inputs=inputs)
    critic = OfflineCritic()
    # the note did darken the picture, past the references
    assert (
        critic.judge(darker.data, profile).image.features["lightness"]
        < critic.judge(plain.data, profile).image.features["lightness"] - 5
    )
    result = critic.critique(darker, noted, Brief(profile, "a harbour at dusk")).result
    assert "lighter values" not in result.reasoning and "gentler contrast" not in result.reasoning
    revised = parse_adjustments(result.revised_prompt)
    assert revised["lightness"] == -4 and revised["contrast"] == 2
    assert locked_qualities(result.revised_prompt) >= {"lightness", "contrast"}
