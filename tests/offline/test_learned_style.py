"""The learned style network: its model files, vectors in the profile, and how weights and
strength reach the painter and the critic."""

import io
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tasteloop.domain.engine import Brief, GenerationInputs
from tasteloop.domain.profile import StyleControls, TasteProfile
from tasteloop.domain.profile_file import parse_profile_document, profile_document
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.style import emphasis, style_target, weighted_references
from tasteloop.images import encode
from tasteloop.measure.learned_style import measure_candidate
from tasteloop.measure.style_network import (
    MODEL_SHA256,
    PACKAGE,
    PACKAGE_VERSION,
    StyleNetwork,
    StyleNetworkError,
    cosine,
    models_dir,
    open_session,
    style_network,
)
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.critic.advice import in_their_words
from tasteloop.offline.critic.scoring import WEIGHTS
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator
from tasteloop.offline.generator.paint import paint_in_style
from tasteloop.offline.layout_spec import parse_adjustments
from tests.support.refsets import load_set

PROMPT_INTENT = "a harbour at dusk"


def _refs() -> list[bytes]:
    """Three van Gogh references and one etching: sets whose styles differ a lot."""
    return load_set("van-gogh-swirling-landscapes")[:3] + load_set("monochrome-ink-and-etching")[:1]


@pytest.fixture(scope="module")
def profile() -> TasteProfile:
    return OfflineExtractor().extract(_refs()).profile


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32)


def _paint(profile: TasteProfile, size: int = 512) -> bytes:
    generator = OfflineGenerator(size=size)
    inputs = GenerationInputs(style=style_target(profile))
    return generator.generate(initial_prompt(PROMPT_INTENT, profile), inputs=inputs).data


# the model files -----------------------------------------------------------------------------
def test_importing_the_engine_loads_no_network():
    code = (
        "import sys, tasteloop.measure.style_network, tasteloop.offline.engine, tasteloop.loop;"
        "print('onnxruntime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_changed_model_file_is_refused(tmp_path):
    for name in MODEL_SHA256:
        shutil.copy(models_dir() / name, tmp_path / name)
    StyleNetwork(tmp_path).load()  # the shipped files pass
    damaged = bytearray((tmp_path / "arbitrary_transform.onnx").read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (tmp_path / "arbitrary_transform.onnx").write_bytes(bytes(damaged))
    with pytest.raises(StyleNetworkError) as caught:
        StyleNetwork(tmp_path).load()
    message = str(caught.value)
    assert "arbitrary_transform.onnx" in message and PACKAGE in message
    assert PACKAGE_VERSION in message and "SHA-256" in message


def test_a_missing_model_file_says_how_to_get_it(tmp_path):
    with pytest.raises(StyleNetworkError) as caught:
        StyleNetwork(tmp_path).load()
    assert "missing" in str(caught.value) and "pip install" in str(caught.value)


def test_one_network_per_process_shared_by_threads():
    from concurrent.futures import ThreadPoolExecutor

    image = Image.open(io.BytesIO(_refs()[0])).convert("RGB")
    with ThreadPoolExecutor(4) as pool:
        vectors = list(pool.map(lambda _: style_network().style_vector(image), range(8)))
    assert style_network() is style_network()
    assert all(np.allclose(v, vectors[0]) for v in vectors)
    assert vectors[0].shape == (100,)


@pytest.mark.parametrize("name", sorted(MODEL_SHA256))
def test_the_networks_answer_as_their_unoptimised_graphs_do(name):
    """On a CPU without AVX-512 VNNI, onnxruntime's default int8 fusion of the quantized
    predictor saturated and moved every style vector (entries by up to 0.44)."""
    import onnxruntime as ort

    plain = ort.SessionOptions()
    plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    data = (models_dir() / name).read_bytes()
    reference = ort.InferenceSession(data, plain, providers=["CPUExecutionProvider"])
    ours = open_session(data)
    rng = np.random.default_rng(0)
    feeds = {}
    for spec in reference.get_inputs():
        shape = [1 if not isinstance(n, int) else n for n in spec.shape]
        feeds[spec.name] = rng.random(shape, dtype=np.float32)
        if shape[-1] == 100:  # a style vector, in the range the predictor gives
            feeds[spec.name] = rng.normal(0, 0.5, shape).astype(np.float32)
    expected = reference.run(None, feeds)[0]
    assert np.max(np.abs(ours.run(None, feeds)[0] - expected)) < 1e-3


# vectors in the profile ------------------------------------------------------------------------
def test_extraction_stores_each_vector_and_the_weighted_mean(profile):
    refs = profile.measurements.references
    assert all(len(r.style) == 100 for r in refs)
    mean = np.mean([r.style for r in refs], axis=0)
    assert np.allclose(profile.measurements.style.mean, mean, atol=1e-4)
    weighted = profile.with_style(StyleControls(weights=[2, 0, 1, 1]))
    expected = (2 * np.array(refs[0].style) + refs[2].style + refs[3].style) / 4
    assert np.allclose(weighted.measurements.style.mean, expected, atol=1e-4)
    assert profile.measurements.style.mean == pytest.approx(list(mean), abs=1e-4)


def test_vectors_and_controls_round_trip_through_the_profile_file(profile):
    chosen = profile.with_style(StyleControls(strength=0.6, weights=[1, 0.5, 2, 0]))
    document = profile_document(chosen, "mixed")
    assert document["schema_version"] == 3
    read, _ = parse_profile_document(json.dumps(document).encode())
    assert read.style == chosen.style
    assert read.measurements.style == chosen.measurements.style
    assert [r.style for r in read.measurements.references] == [
        r.style for r in chosen.measurements.references
    ]


def test_a_version_1_file_still_imports(profile):
    document = profile_document(profile, "old")
    document["schema_version"] = 1
    del document["profile"]["style"]
    measurements = document["profile"]["measurements"]
    del measurements["style"]
    for ref in measurements["references"]:
        del ref["style"]
    read, _ = parse_profile_document(json.dumps(document).encode())
    assert read.style == StyleControls() and "style" not in read.measurements
    assert style_target(read) is None


@pytest.mark.parametrize(
    ("controls", "message"),
    [
        ({"strength": 1.5}, "between 0 and 100 %"),
        ({"strength": -0.1}, "between 0 and 100 %"),
        ({"weights": [1, 2.5, 1, 1]}, "between 0 and 2"),
        ({"weights": [0, 0, 0, 0]}, "above 0"),
        ({"weights": [1, 1]}, "one weight per reference (4 references, 2 weights)"),
    ],
)
def test_out_of_range_controls_are_refused_with_a_message(profile, controls, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TasteProfile.model_validate({**profile.model_dump(), "style": controls})


# the painter -------------------------------------------------------------------------------
def test_the_offline_painter_paints_in_the_learned_style(profile):
    plain = OfflineGenerator(size=512).generate(initial_prompt(PROMPT_INTENT, profile)).data
    styled = _paint(profile)
    target = profile.measurements.style.mean
    assert cosine(measure_candidate(styled).style, target) > cosine(
        measure_candidate(plain).style, target
    )


def test_weights_change_the_output_and_lean_it_towards_the_heavier_reference(profile):
    refs = profile.measurements.references
    van_gogh = _paint(profile.with_style(StyleControls(weights=[2, 2, 2, 0])))
    etching = _paint(profile.with_style(StyleControls(weights=[0, 0, 0, 2])))
    assert np.abs(_pixels(van_gogh) - _pixels(etching)).mean() > 10  # of 255
    etching_vector = refs[3].style
    assert cosine(measure_candidate(etching).style, etching_vector) > cosine(
        measure_candidate(van_gogh).style, etching_vector
    )


def test_a_reference_weighted_0_has_no_influence(profile):
    """Swap the measurements of the reference weighted 0 for a very different image's: the
    painting and the critique stay exactly the same."""
    weights = StyleControls(weights=[1, 1, 1, 0])
    other = OfflineExtractor().extract(load_set("geometric-abstraction")[:3]).profile
    swapped = profile.model_dump()
    swapped["measurements"]["references"][3] = other.measurements.references[0].model_dump()
    swapped["style"] = weights.model_dump()
    a, b = profile.with_style(weights), TasteProfile.model_validate(swapped)
    assert a.measurements.style.mean == b.measurements.style.mean
    assert _paint(a) == _paint(b)
    candidate = _paint(a)
    critic = OfflineCritic()
    first = critic.critique(candidate, "p", Brief(a, PROMPT_INTENT)).result
    second = critic.critique(candidate, "p", Brief(b, PROMPT_INTENT)).result
    assert first == second
    # and a model never sees it
    sent = weighted_references(a, (b"r1", b"r2", b"r3", b"r4"))
    assert sent == (b"r1", b"r2", b"r3")


def test_references_go_heaviest_first_with_their_emphasis(profile):
    chosen = profile.with_style(StyleControls(weights=[0.5, 2, 0, 1]))
    assert weighted_references(chosen, (b"a", b"b", b"c", b"d")) == (b"b", b"d", b"a")
    assert emphasis(chosen, 4) == (2, 1, 0.5)
    assert emphasis(profile, 4) == ()  # all equal: nothing to emphasise


def test_strength_moves_the_picture_between_its_own_style_and_the_sets(profile):
    gaps = []
    for strength in (0.0, 0.5, 1.0):
        data = _paint(profile.with_style(StyleControls(strength=strength)))
        gaps.append(1 - cosine(measure_candidate(data).style, profile.measurements.style.mean))
    plain = OfflineGenerator(size=512).generate(initial_prompt(PROMPT_INTENT, profile)).data
    assert _paint(profile.with_style(StyleControls(strength=0.0))) == plain
    assert gaps[0] > gaps[1] > gaps[2]


def test_the_critics_style_adjustment_moves_the_strength(profile):
    half = profile.with_style(StyleControls(strength=0.5))
    target = style_target(half)
    generator = OfflineGenerator(size=512)
    prompt = initial_prompt(PROMPT_INTENT, profile)
    base = generator.render(prompt, style=target)
    more = generator.render(prompt + " Adjustments: style +4.", style=target)
    mean = profile.measurements.style.mean
    network = style_network()
    assert cosine(network.style_vector(more), mean) > cosine(network.style_vector(base), mean)


def test_detail_is_restored_at_1024():
    """The network paints at 384 px; the layout's own detail is laid back at full size."""
    layout = OfflineGenerator(size=1024).render("a city grid at night, crisp, hatching")
    vector = style_network().style_vector(layout)

    def high_frequency(image: Image.Image) -> float:
        grey = np.asarray(image.convert("L"), dtype=np.float32)
        return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())

    restored = paint_in_style(layout, vector, 1.0)
    assert restored.size == (1024, 1024)
    network = style_network()
    small = layout.resize((384, 384))
    plain = network.paint(np.asarray(small, dtype=np.float32) / 255, vector)
    upscaled = Image.fromarray((np.clip(plain, 0, 1) * 255).astype(np.uint8)).resize((1024, 1024))
    assert high_frequency(restored) > 1.5 * high_frequency(upscaled)


def test_softness_softens_a_painted_picture_as_it_does_an_unpainted_one(profile):
    """The critic's `softness` adjustment must still move a painted picture's fine detail."""
    style = style_target(profile)
    prompt = initial_prompt(PROMPT_INTENT, profile)
    generator = OfflineGenerator(size=512)

    def hf_energy(adjustment: str) -> float:
        image = generator.render(f"{prompt} Adjustments: {adjustment}.", style=style)
        return measure_candidate(encode(image, "PNG")).features["hf_energy"]

    assert hf_energy("softness +4") < 0.8 * hf_energy("softness -2")


# the critic ----------------------------------------------------------------------------------
def test_the_critic_counts_the_learned_style_as_much_as_strength_asks(profile):
    """The same image against the same measurements: at strength 0 the learned style is no
    evidence, so an image far from it loses nothing for that."""
    far = OfflineGenerator(size=512).generate("a city grid, geometric, flat colour").data
    critic = OfflineCritic()
    strict = critic.judge(far, profile)
    lenient = critic.judge(far, profile.with_style(StyleControls(strength=0.0)))
    assert strict.style_gap == lenient.style_gap and strict.style_gap > 0.05
    assert lenient.scores["texture_feel"] != strict.scores["texture_feel"]


def test_the_reasoning_names_the_learned_style_in_the_profiles_words(profile):
    far = OfflineGenerator(size=512).generate("a city grid, geometric, flat colour").data
    result = OfflineCritic().critique(far, "p", Brief(profile, PROMPT_INTENT))
    assert "measures" not in result.result.reasoning
    assert result.evidence and "learned style" in result.evidence
    assert "Adjustments:" in result.result.revised_prompt


def test_the_critic_asks_for_more_style_only_as_far_as_strength_allows(profile):
    far = OfflineGenerator(size=512).generate("a city grid, geometric, flat colour").data
    critic = OfflineCritic()
    gap = critic.judge(far, profile).style_gap
    assert 0.05 < gap < 0.25
    full = critic.critique(far, "p", Brief(profile, PROMPT_INTENT)).result
    light = critic.critique(
        far, "p", Brief(profile.with_style(StyleControls(strength=0.2)), PROMPT_INTENT)
    ).result
    assert parse_adjustments(full.revised_prompt).get("style", 0) > 0
    assert "style" not in parse_adjustments(light.revised_prompt)
    # where mark-making costs the score most (weighed here above the picture's colour,
    # composition and mood, which are as far off), the learned style is why, and the reasoning
    # says so in the profile's words
    surface_first = OfflineCritic(
        {
            **WEIGHTS,
            "palette_tendency": 0.05,
            "compositional_style": 0.05,
            "emotional_register": 0.05,
            "texture_feel": 0.75,
        }
    )
    named = surface_first.critique(far, "p", Brief(profile, PROMPT_INTENT)).result
    assert named.reasoning.startswith("The surface is not yet painted in your references' manner")
    assert in_their_words(profile, "texture_feel") in named.reasoning
