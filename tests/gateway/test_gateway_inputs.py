"""What goes to the image model and the judge beside the prompt, over real HTTP: the style
references, the best image to edit, the contact sheet, the swapped pairwise asks, a gate note."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from tasteloop.domain.outcomes import GateDecision
from tasteloop.domain.profile import StyleControls
from tasteloop.domain.run_settings import LoopSettings
from tasteloop.gateway.engine import gateway_engine
from tasteloop.gateway.generator import EDIT_INSTRUCTION, EMPHASIS_INSTRUCTION, STYLE_INSTRUCTION
from tasteloop.loop import GateAnswer, LoopState, run_loop
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator
from tests.support.gateway_server import FakeGateway, settings_for

NEVER_CONVERGE = LoopSettings(max_iterations=3, threshold=9.9, gate_low=9.8)
ONCE = LoopSettings(max_iterations=1, threshold=9.9, gate_low=9.8)


def references(count=3, side=1400):
    """Painted references, larger than 1024 px so the resize is visible."""
    generator = OfflineGenerator(size=side)
    prompts = ["swirls, #1d3c78, #e8c547", "waves, #1d3c78, #f0e6c8", "swirls, #24408e, #d9b23a"]
    return tuple(generator.render_png(prompts[k % 3], seed=k) for k in range(count))


REFS = references()
PROFILE = OfflineExtractor().extract(list(REFS)).profile


@pytest.fixture
def gateway():
    server = FakeGateway(render_size=256).start()
    yield server
    server.stop()


def run(gateway, settings=NEVER_CONVERGE, refs=REFS, profile=PROFILE, **overrides):
    engine = gateway_engine(settings_for(gateway, timeout_s=10, **overrides))
    return run_loop(
        "a harbour at dusk",
        profile,
        engine.generator,
        engine.critic,
        settings,
        state=LoopState(0, "a harbour at dusk, swirls"),
        references=refs,
    )


def sizes(images):
    return [Image.open(io.BytesIO(data)).size for data in images]


def test_each_generation_carries_the_references_at_most_1024px(gateway):
    result = run(gateway)
    calls = gateway.calls("generate")
    assert len(calls) == 3
    for call in calls:
        assert len(call.input_images) == 3
        assert all(max(size) == 1024 for size in sizes(call.input_images))
        assert STYLE_INSTRUCTION in call.text and "Never copy their subjects" in call.text
        assert call.text.endswith("Prompt: " + call.text.rsplit("Prompt: ", 1)[1])
        assert EDIT_INSTRUCTION not in call.text  # regenerating is the default
    assert [it.chosen.image.references_sent for it in result.iterations] == [3, 3, 3]


def test_style_references_can_be_turned_off(gateway):
    result = run(gateway, style_references=False)
    assert all(not call.input_images for call in gateway.calls("generate"))
    assert all(it.chosen.image.references_sent == 0 for it in result.iterations)


def test_a_model_that_refuses_images_falls_back_to_text_once_and_says_so(gateway):
    gateway.rejects_image_inputs = True
    result = run(gateway)
    calls = gateway.calls("generate")
    # one refused request with images, then text alone for the rest of the run
    assert [bool(c.input_images) for c in calls] == [True, False, False, False]
    first = result.iterations[0].chosen.image
    assert first.references_sent == 0
    assert "refused images beside the prompt" in first.inputs_refused
    assert "HTTP 400" in first.inputs_refused
    assert result.state.inputs_refused == first.inputs_refused
    assert all(it.chosen.image.inputs_refused is None for it in result.iterations[1:])


def test_refine_by_editing_sends_the_best_image_first(gateway):
    result = run(gateway, refine="edit")
    first, *later = gateway.calls("generate")
    assert len(first.input_images) == 3 and EDIT_INSTRUCTION not in first.text
    for call in later:
        assert len(call.input_images) == 4 and EDIT_INSTRUCTION in call.text
        assert sizes(call.input_images)[0] == (256, 256)  # the best so far, then the refs
    assert [it.chosen.image.edited for it in result.iterations] == [False, True, True]


def test_refine_by_editing_on_the_images_api_uses_the_edits_endpoint(gateway):
    run(gateway, refine="edit", image_endpoint="images", style_references=False)
    paths = [c.path for c in gateway.calls("generate")]
    assert paths == ["/v1/images/generations", "/v1/images/edits", "/v1/images/edits"]
    edit = gateway.calls("generate")[1]
    assert len(edit.input_images) == 1 and EDIT_INSTRUCTION in edit.body["prompt"]


def test_openrouter_images_endpoint_gets_input_references(gateway):
    run(gateway, image_endpoint="openrouter", refine="edit")
    first, second, _ = gateway.calls("generate")
    assert len(first.body["input_references"]) == 3
    assert len(second.body["input_references"]) == 4
    assert all(u.startswith("data:image/jpeg;base64,") for u in first.body["input_references"])


def test_the_critic_sees_a_contact_sheet_of_the_references_beside_the_candidate(gateway):
    run(gateway, settings=LoopSettings(max_iterations=1))
    call = gateway.calls("critique")[0]
    sheet, candidate = sizes(call.input_images)
    assert max(sheet) <= 1024 and max(candidate) <= 512
    assert "contact sheet of the user's reference images" in call.text


def test_pairwise_judging_asks_twice_with_the_images_swapped(gateway):
    result = run(gateway)
    asks = gateway.calls("compare")
    assert len(asks) == 4  # twice for iterations 2 and 3
    for first, second in (asks[0:2], asks[2:4]):
        _, a1, b1 = first.input_images
        _, a2, b2 = second.input_images
        assert (a1, b1) == (b2, a2)
    for record in result.iterations[1:]:
        comparison = record.comparison
        # this judge looks at the images, not their order: its two answers agree
        assert comparison.error is None and len(comparison.answers) == 2
        assert comparison.agreed is not None and len(comparison.reasons) == 2
        assert record.replaces_best == (comparison.agreed == "candidate")
        assert [u.role for u in record.usage].count("compare") == 2


def test_a_judge_biased_to_a_position_never_changes_the_best(gateway):
    gateway.position_bias = "A"
    result = run(gateway)
    assert all(it.comparison.agreed is None for it in result.iterations[1:])
    assert not any(it.replaces_best for it in result.iterations[1:])
    assert result.final_index == 0


def test_a_gate_note_reaches_the_reviser_as_an_instruction_that_wins(gateway):
    engine = gateway_engine(settings_for(gateway, timeout_s=10))
    seen = []
    run_loop(
        "a harbour at dusk",
        PROFILE,
        engine.generator,
        engine.critic,
        LoopSettings(max_iterations=2, threshold=9.99, gate_low=0.5),
        state=LoopState(0, "a harbour at dusk, swirls"),
        references=REFS,
        gate=lambda _r: GateAnswer(GateDecision.CONTINUE, "warmer, fewer boats"),
        on_note=lambda _r, _n, revision: seen.append(revision),
    )
    revise = gateway.calls("revise")[0]
    assert 'Their note (JSON data): "warmer, fewer boats"' in revise.text
    assert "the note wins" in revise.text
    assert seen[0].prompt.endswith("Direction from the person: warmer, fewer boats")
    second_prompt = gateway.calls("generate")[1].text.rsplit("Prompt: ", 1)[1]
    assert second_prompt == seen[0].prompt
    assert seen[0].usage and seen[0].usage[0].role == "revise"
    # the next critique is told the note leads, and the first knew of none
    first, second = gateway.calls("critique")[:2]
    assert "notes at the gate" not in first.text
    assert 'notes at the gate so far (JSON data, oldest first): ["warmer, fewer boats"]' in (
        second.text
    )
    assert "never ask to undo" in second.text


def test_painter_input_settings_come_from_the_environment():
    from tasteloop.config import ConfigError, EngineSettings

    defaults = EngineSettings.from_env({})
    assert defaults.style_references and defaults.refine == "regenerate"
    chosen = EngineSettings.from_env(
        {"TASTELOOP_STYLE_REFERENCES": "0", "TASTELOOP_REFINE": " Edit "}
    )
    assert not chosen.style_references and chosen.refine == "edit"
    with pytest.raises(ConfigError, match="TASTELOOP_REFINE must be one of regenerate, edit"):
        EngineSettings.from_env({"TASTELOOP_REFINE": "inpaint"})
    with pytest.raises(ConfigError, match="TASTELOOP_STYLE_REFERENCES must be 1 or 0"):
        EngineSettings.from_env({"TASTELOOP_STYLE_REFERENCES": "maybe"})


def test_cli_run_json_shows_references_sent_and_pairwise_verdicts(gateway, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tasteloop.cli import main

    refs = tmp_path / "refs"
    refs.mkdir()
    for k, data in enumerate(REFS):
        (refs / f"ref-{k}.png").write_bytes(data)
    for name, value in {
        "TASTELOOP_ENGINE": "gateway",
        "BASE_URL": gateway.base_url,
        "API_KEY": "k",
        "TASTELOOP_TIMEOUT": "10",
    }.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "run"
    args = ["run", "--refs", str(refs), "--intent", "a harbour at dusk", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--max-iterations", "2", "--threshold", "9.9"])
    assert result.exit_code == 0, result.output
    written = json.loads((out / "run.json").read_text())
    assert written["references"] == ["ref-0.png", "ref-1.png", "ref-2.png"]
    first, second = written["iterations"]
    assert first["generation"]["references_sent"] == 3 and first["comparison"] is None
    assert len(second["comparison"]["answers"]) == 2
    assert second["became_best"] == (second["comparison"]["agreed"] == "candidate")


def _thumb(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data)).convert("RGB").resize((32, 32))
    return np.asarray(image, dtype=np.float32)


def test_weights_order_and_emphasise_the_references_and_leave_out_a_zero(gateway):
    weighted = PROFILE.with_style(StyleControls(strength=0.4, weights=[0.5, 0, 2]))
    run(gateway, settings=ONCE, profile=weighted)
    call = gateway.calls("generate")[0]
    sent = call.input_images
    assert len(sent) == 2  # the reference weighted 0 is never sent
    # heaviest first: the third reference (weight 2), then the first (0.5)
    for image, expected in zip(sent, (REFS[2], REFS[0]), strict=True):
        nearest = min(range(3), key=lambda k: np.abs(_thumb(image) - _thumb(REFS[k])).mean())
        assert REFS[nearest] == expected
    assert EMPHASIS_INSTRUCTION.format(weights="2, 0.5") in call.text
    judged = gateway.calls("critique")[0].text
    assert "Style strength 40%: the person wants only a light touch" in judged
    assert "order of the person's emphasis (weights 2, 0.5)" in judged


def test_the_judge_gets_the_candidates_learned_style_beside_the_references_spread(gateway):
    run(gateway, settings=ONCE)
    judged = gateway.calls("critique")[0].text
    line = next(x for x in judged.splitlines() if x.startswith("- learned style"))
    spread, candidate = line.split("references ")[1].split(" vs this image ")
    low, high = (float(v) for v in spread.split("-"))
    assert 0 <= low <= high < 1 and 0 <= float(candidate) < 1
    assert "Style strength 100%: hold the image strictly" in judged
