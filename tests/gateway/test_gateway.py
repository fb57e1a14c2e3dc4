import base64
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from tasteloop.cli import main
from tasteloop.config import ConfigError, EngineSettings
from tasteloop.domain.engine import Brief
from tasteloop.domain.profile import CRITIQUE_DIMENSIONS
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.run_settings import LoopSettings
from tasteloop.gateway.client import GatewayError, json_mode_chooser
from tasteloop.gateway.engine import gateway_engine
from tasteloop.gateway.generator import NoImageError, find_image_in_chat
from tasteloop.loop import LoopState, run_loop
from tasteloop.measure.bare_style import bare_texture, set_colour
from tests.support.gateway_server import (
    IMAGE_SHAPES,
    IMAGES_API_SHAPES,
    JSON_QUIRKS,
    REFUSALS,
    FakeGateway,
    settings_for,
)
from tests.support.refsets import load_set, set_dir


@pytest.fixture
def gateway():
    server = FakeGateway(render_size=256, hang_seconds=3.0).start()
    yield server
    server.stop()


def decoded_sizes(recorded):
    sizes = []
    for url in recorded.image_urls:
        data = base64.b64decode(url.split(",", 1)[1])
        sizes.append(Image.open(io.BytesIO(data)).size)
    return sizes


# configuration ----------------------------------------------------------------------------
def test_settings_strip_whitespace_and_quotes():
    s = EngineSettings.from_env({"BASE_URL": '  "http://x/v1" ', "API_KEY": " 'k' "})
    assert (s.engine, s.base_url, s.api_key) == ("gateway", "http://x/v1", "k")
    assert s.vision_model == s.image_model == "google/gemini-3.1-flash-image-preview"


def test_engine_defaults_to_offline_without_key():
    assert EngineSettings.from_env({"BASE_URL": "http://x"}).engine == "offline"
    assert EngineSettings.from_env({}).engine == "offline"


@pytest.mark.parametrize(
    "env,message",
    [
        ({"TASTELOOP_ENGINE": "gateway", "API_KEY": "k"}, "BASE_URL is not set"),
        (
            {"TASTELOOP_ENGINE": "gateway", "BASE_URL": "http://x", "API_KEY": "  "},
            "API_KEY is not set",
        ),
        ({"TASTELOOP_ENGINE": "cloud"}, "TASTELOOP_ENGINE must be"),
    ],
)
def test_bad_settings_are_one_sentence(env, message):
    with pytest.raises(ConfigError, match=message):
        EngineSettings.from_env(env)


# generation -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", IMAGE_SHAPES)
def test_every_chat_image_shape_parses(gateway, shape):
    gateway.image_shape = shape
    engine = gateway_engine(settings_for(gateway))
    image = engine.generator.generate("circles, #ff0000", seed=3)
    stored = Image.open(io.BytesIO(image.data))
    assert stored.size == (256, 256)  # the final image, never a thought draft
    # whatever arrived (JPEG declared as PNG, WebP, text chunks, EXIF with GPS) is stored as
    # pixels only
    assert stored.format == "PNG" and image.mime_type == "image/png"
    assert not stored.getexif() and not stored.info.get("prompt") and "exif" not in stored.info
    request = gateway.calls("generate")[0]
    assert request.body["modalities"] == ["image", "text"]
    assert request.body["model"] == "img-model"
    assert request.headers.get("authorization") == "Bearer test-key"


@pytest.mark.parametrize("shape", IMAGES_API_SHAPES)
def test_images_generate_endpoint(gateway, shape):
    gateway.images_api_shape = shape
    engine = gateway_engine(settings_for(gateway, image_endpoint="images"))
    image = engine.generator.generate("stripes")
    assert image.mime_type == "image/png"
    assert Image.open(io.BytesIO(image.data)).size == (256, 256)
    assert gateway.requests[0].path.endswith("/images/generations")
    assert gateway.requests[0].body["response_format"] == "b64_json"


def test_gpt_image_models_are_not_sent_response_format(gateway):
    engine = gateway_engine(
        settings_for(gateway, image_endpoint="images", image_model="openai/gpt-image-1")
    )
    engine.generator.generate("stripes")
    assert "response_format" not in gateway.requests[0].body


def test_openrouter_images_endpoint(gateway):
    engine = gateway_engine(
        settings_for(gateway, image_endpoint="openrouter", image_model="bytedance/seedream-4")
    )
    image = engine.generator.generate("stripes")
    request = gateway.requests[0]
    assert request.path == "/v1/images" and request.body["model"] == "bytedance/seedream-4"
    assert "response_format" not in request.body
    assert Image.open(io.BytesIO(image.data)).size == (256, 256)
    assert image.usage[0].cost_usd == pytest.approx(0.04)


@pytest.mark.parametrize("fault", REFUSALS)
def test_a_refusal_is_not_retried_and_says_why(gateway, fault):
    gateway.fail_next(fault, role="generate")
    engine = gateway_engine(settings_for(gateway))
    with pytest.raises(GatewayError) as caught:
        engine.generator.generate("something a filter blocks")
    message = str(caught.value)
    assert not caught.value.retryable
    assert len(gateway.calls("generate")) == 1
    expected = {
        "no_choices": "no choices",
        "content_filter": "declined this prompt (content_filter)",
        "prohibited": "declined this prompt (IMAGE_PROHIBITED_CONTENT)",
    }[fault]
    assert expected in message


def test_an_svg_is_refused_with_a_clear_message(gateway):
    gateway.fail_next("svg", role="generate", times=3)
    engine = gateway_engine(settings_for(gateway))
    with pytest.raises(GatewayError, match="SVG \\(vector\\) image") as caught:
        engine.generator.generate("a logo")
    assert caught.value.retryable  # the next attempt may well be a raster image
    gateway.fail_next("svg", role="generate")
    assert Image.open(io.BytesIO(engine.generator.generate("a logo").data)).format == "PNG"


def test_unknown_image_endpoint_is_a_one_sentence_error(monkeypatch):
    with pytest.raises(ConfigError, match="TASTELOOP_IMAGE_ENDPOINT must be one of"):
        EngineSettings.from_env(
            {"BASE_URL": "http://x/v1", "API_KEY": "k", "TASTELOOP_IMAGE_ENDPOINT": "fax"}
        )
    legacy = EngineSettings.from_env(
        {"BASE_URL": "http://x/v1", "API_KEY": "k", "TASTELOOP_IMAGES_API": "1"}
    )
    assert legacy.image_endpoint == "images"


def test_model_extra_images_shape_is_found_without_network():
    class Message:
        content = None
        model_extra = {
            "images": [
                {
                    "type": "image_url",
                    "image_url": {
                        "url": "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()
                    },
                }
            ]
        }

    class Choice:
        message = Message()

    class Response:
        choices = [Choice()]

    found = find_image_in_chat(Response())
    assert found.data == b"\x89PNG fake" and "images[0]" in found.location


def test_no_image_raises_descriptive_error_with_response_after_retries(gateway):
    gateway.fail_next("no_image", role="generate", times=3)
    engine = gateway_engine(settings_for(gateway))
    with pytest.raises(GatewayError) as caught:
        engine.generator.generate("anything")
    message = str(caught.value)
    assert "after 3 attempts" in message and "without an image" in message
    assert "I can't draw that right now" in message  # the response is dumped
    assert caught.value.retryable
    assert len(gateway.calls("generate")) == 3


def test_no_image_error_is_a_value_error():
    assert issubclass(NoImageError, ValueError)


@pytest.mark.parametrize("fault", ["500", "429", "hang"])
def test_transient_faults_are_retried(gateway, fault):
    gateway.fail_next(fault, role="generate")
    engine = gateway_engine(settings_for(gateway))
    image = engine.generator.generate("circles")
    assert image.data.startswith(b"\x89PNG")
    assert len(gateway.calls("generate")) == 2


def test_bad_request_is_not_retried(gateway):
    gateway.fail_next("400", role="generate")
    engine = gateway_engine(settings_for(gateway))
    with pytest.raises(GatewayError, match="HTTP 400") as caught:
        engine.generator.generate("circles")
    assert not caught.value.retryable
    assert len(gateway.calls("generate")) == 1


def test_generation_records_usage_and_cost(gateway):
    image = gateway_engine(settings_for(gateway)).generator.generate("circles")
    (usage,) = image.usage
    assert usage.role == "generate" and usage.model == "img-model"
    assert usage.prompt_tokens > 0 and usage.cost_usd and usage.cost_usd > 0


# extraction -------------------------------------------------------------------------------
def test_extraction_sends_resized_images_in_json_mode(gateway):
    refs = load_set("van-gogh-swirling-landscapes")
    engine = gateway_engine(settings_for(gateway))
    extraction = engine.extractor.extract(refs)
    request = gateway.calls("extract")[0]
    assert request.body["model"] == "vision-model"
    assert request.body.get("response_format") == {"type": "json_object"}
    sizes = decoded_sizes(request)
    assert len(sizes) == 4 and all(max(s) <= 1024 for s in sizes)
    assert "SHARE" in request.text and "avoid_list" in request.text
    profile = extraction.profile
    assert 3 <= len(profile.principles) <= 5
    assert profile.measurements and len(profile.measurements.references) == 4
    # the learned style travels with a gateway profile too: each vector and the set's mean
    assert all(len(r.style) == 100 for r in profile.measurements.references)
    assert len(profile.measurements.style.mean) == 100
    assert extraction.usage[0].cost_usd > 0


def test_a_models_taste_is_kept_in_a_persons_words_and_checked_against_the_references(gateway):
    """A reply in debug prose ("#b6aea2 (34%)", mood scales) reads as words; its hex codes are
    the swatches; an avoid item the ink set itself shows (colourless, muted) is dropped and a
    measured one takes its place."""
    gateway.extraction_reply = {
        "principles": ["Let #111111 (60%) carry the picture", "Leave paper showing", "Hatch"],
        "palette_tendency": "Ink on paper: #101010 (55%) and #f4f0e8 (40%), no colour.",
        "compositional_style": "Sparse, off-centre (mass 0.42, negative space 38 %).",
        "emotional_register": "Quiet (pleasure 0.46, arousal +0.03 on the PAD scales).",
        "texture_feel": "Etched hatching, solid blacks.",
        "avoid_list": ["timid muted colour", "neon colour", "heavy film grain"],
    }
    engine = gateway_engine(settings_for(gateway))
    profile = engine.extractor.extract(load_set("monochrome-ink-and-etching")).profile
    words = [
        profile.palette_tendency,
        profile.compositional_style,
        profile.emotional_register,
        *profile.principles,
        *profile.avoid_list,
    ]
    assert not any("#" in w or "%" in w or "0.4" in w for w in words), words
    assert profile.palette_tendency.startswith("Ink on paper: ink black")
    assert profile.emotional_register == "Quiet."
    assert profile.palette == ["#101010", "#f4f0e8"]
    assert "timid muted colour" not in profile.avoid_list
    assert "neon colour" in profile.avoid_list and len(profile.avoid_list) >= 3


def test_a_models_trait_claims_the_references_lack_are_left_out_and_said_so(gateway):
    """The ink set has no colour (every reference's chroma under 12) and the cubist set is far
    from symmetrical: a reply claiming vivid colour or symmetry loses those clauses, keeps the
    rest, and the measurements say what was left out; a negated claim is kept."""
    gateway.extraction_reply = {
        "principles": ["Let vivid colour lead", "Never use vivid colour", "Leave paper showing"],
        "palette_tendency": "Ink on paper.",
        "compositional_style": "Symmetrical, mirror-like arrangements, sparse and airy.",
        "emotional_register": "Quiet.",
        "texture_feel": "Vivid saturated colour laid in dots; etched hatching.",
        "avoid_list": ["neon colour", "heavy film grain", "glossy airbrushing"],
    }
    engine = gateway_engine(settings_for(gateway))
    profile = engine.extractor.extract(load_set("monochrome-ink-and-etching")).profile
    assert profile.texture_feel == "Etched hatching."
    assert profile.principles == ["Never use vivid colour", "Leave paper showing"]
    left_out = profile.measurements.left_out
    assert any("vivid colour" in item and "Vivid saturated" in item for item in left_out)
    cubist = engine.extractor.extract(load_set("cubist-dynamism-1913")).profile
    assert cubist.compositional_style == "Sparse and airy."
    assert any("symmetrical arrangements" in item for item in cubist.measurements.left_out)
    # the ink set's own symmetry is mixed (not mostly absent): the claim stays
    assert profile.compositional_style.startswith("Symmetrical")


def test_extraction_reasks_on_invalid_json(gateway):
    gateway.fail_next("missing_field", role="extract")
    engine = gateway_engine(settings_for(gateway))
    engine.extractor.extract(load_set("geometric-abstraction"))
    assert len(gateway.calls("extract")) == 2


def test_extraction_gives_up_after_bounded_reasks(gateway):
    gateway.fail_next("malformed", role="extract", times=10)
    engine = gateway_engine(settings_for(gateway))
    with pytest.raises(GatewayError, match="taste extraction failed"):
        engine.extractor.extract(load_set("geometric-abstraction"))
    assert len(gateway.calls("extract")) == 3  # one ask + two re-asks


# critique and the whole loop --------------------------------------------------------------
def _profile(gateway):
    engine = gateway_engine(settings_for(gateway))
    return engine, engine.extractor.extract(load_set("monochrome-ink-and-etching")).profile


def test_critique_sends_512px_image_with_measured_evidence(gateway):
    engine, profile = _profile(gateway)
    image = engine.generator.generate("hatching, #111111, #f4f1ea")
    critique = engine.critic.critique(image.data, "hatching", Brief(profile, "a pier"))
    request = gateway.calls("critique")[0]
    assert [max(s) for s in decoded_sizes(request)] == [256]  # never upscaled; ≤ 512
    assert "Measured evidence" in request.text and "edge_density" in request.text
    assert list(critique.result.breakdown) == [
        "palette_tendency",
        "compositional_style",
        "emotional_register",
        "texture_feel",
        "avoid_list",
    ]


def test_large_images_are_shrunk_to_512_for_critique(gateway):
    engine, profile = _profile(gateway)
    big = io.BytesIO()
    Image.new("RGB", (1600, 1200), (200, 30, 30)).save(big, "PNG")
    engine.critic.critique(big.getvalue(), "p", Brief(profile, "i"))
    assert max(decoded_sizes(gateway.calls("critique")[0])[0]) == 512


def test_out_of_range_score_fails_the_critic_and_the_loop_records_zero(gateway):
    engine, profile = _profile(gateway)
    gateway.fail_next("out_of_range", role="critique", times=3)
    result = run_loop(
        "a pier",
        profile,
        engine.generator,
        engine.critic,
        LoopSettings(max_iterations=2, threshold=9.9, gate_low=9.8),
        state=LoopState(0, "hatching, a pier"),
    )
    first, second = result.iterations
    assert first.score == 0 and first.critique.reasoning.startswith("Critic failed:")
    assert "critique failed" in first.critique.reasoning
    assert second.prompt == "hatching, a pier"  # the same prompt again
    assert second.score > 0


def test_generator_failure_stops_loop_with_retryable_error(gateway):
    engine, profile = _profile(gateway)
    gateway.fail_next("500", role="generate", times=3)
    with pytest.raises(GatewayError, match="HTTP 500") as caught:
        run_loop(
            "a pier",
            profile,
            engine.generator,
            engine.critic,
            LoopSettings(),
            state=LoopState(0, "a pier"),
        )
    assert caught.value.retryable


def test_cli_run_completes_through_the_gateway(gateway, tmp_path, monkeypatch):
    monkeypatch.setenv("TASTELOOP_ENGINE", "gateway")
    monkeypatch.setenv("BASE_URL", gateway.base_url)
    monkeypatch.setenv("API_KEY", "k")
    monkeypatch.setenv("TASTELOOP_TIMEOUT", "5")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--refs",
            str(set_dir("van-gogh-swirling-landscapes")),
            "--intent",
            "a harbour at dusk",
            "--out",
            str(out),
            "--max-iterations",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert run["engine"] == "gateway"
    assert run["iterations"] and all(it["usage"] for it in run["iterations"])
    costs = [u["cost_usd"] for it in run["iterations"] for u in it["usage"]]
    assert all(c > 0 for c in costs)
    assert {u["role"] for u in run["iterations"][0]["usage"]} == {"generate", "critique", "subject"}
    assert run["iterations"][0]["subject"]["parts"]  # what the picture shows, per part


def test_probe_reports_where_the_image_arrived(gateway, monkeypatch):
    monkeypatch.setenv("TASTELOOP_ENGINE", "gateway")
    monkeypatch.setenv("BASE_URL", gateway.base_url)
    monkeypatch.setenv("API_KEY", "k")
    gateway.image_shape = "content_parts"
    result = CliRunner().invoke(main, ["probe"])
    assert result.exit_code == 0, result.output
    assert "message.content[1]" in result.output and "256×256" in result.output
    assert "red circle" in gateway.calls("generate")[0].text


def test_initial_prompt_reaches_the_image_model(gateway):
    engine, profile = _profile(gateway)
    engine.generator.generate(initial_prompt("a pier", profile))
    assert profile.principles[0] in gateway.calls("generate")[0].text


# structured answers: JSON mode and its fallback ---------------------------------------------
@pytest.fixture
def fresh_json_modes():
    json_mode_chooser.cache_clear()  # what a process has learned about a gateway
    yield
    json_mode_chooser.cache_clear()


@pytest.mark.parametrize("quirk", JSON_QUIRKS)
def test_auto_json_mode_copes_with_each_gateway_quirk(gateway, quirk, fresh_json_modes, caplog):
    gateway.json_quirk = quirk
    engine = gateway_engine(settings_for(gateway, timeout_s=20))
    refs = load_set("van-gogh-swirling-landscapes")
    profile = engine.extractor.extract(refs).profile
    assert profile.principles
    critique = engine.critic.critique(refs[0], "a pier", Brief(profile, "a pier"))
    assert critique.result.breakdown  # the critic's answers are read the same way
    falls_back = quirk in ("rejects_response_format", "fenced")
    later = gateway.calls("critique")[-1].body
    assert ("response_format" in later) is not falls_back  # md_json from then on
    switches = [r for r in caplog.records if "does not support JSON mode" in r.getMessage()]
    assert len(switches) == (1 if falls_back else 0)


def test_an_explicit_json_mode_does_not_fall_back(gateway, fresh_json_modes):
    gateway.json_quirk = "rejects_response_format"
    engine = gateway_engine(settings_for(gateway, json_mode="json"))
    with pytest.raises(GatewayError, match="HTTP 400"):
        engine.extractor.extract(load_set("van-gogh-swirling-landscapes"))


@pytest.mark.parametrize("mode", ["md_json", "tools"])
def test_each_json_mode_can_be_chosen(gateway, mode, fresh_json_modes):
    engine = gateway_engine(settings_for(gateway, json_mode=mode))
    assert engine.extractor.extract(load_set("van-gogh-swirling-landscapes")).profile.principles
    body = gateway.calls("extract")[0].body
    assert "response_format" not in body
    assert ("tools" in body) is (mode == "tools")


def test_an_unknown_json_mode_is_a_one_sentence_error():
    with pytest.raises(ConfigError, match="TASTELOOP_JSON_MODE must be one of"):
        EngineSettings.from_env(
            {"BASE_URL": "http://x/v1", "API_KEY": "k", "TASTELOOP_JSON_MODE": "xml"}
        )


def test_a_judge_that_likes_everything_cannot_lift_a_texture_in_the_sets_style():
    """The cubist set's style network texture over flat fields of other grains than the bare
    style's own: the references' least varied is all-over facets, so only the set's style laid
    over nothing tells these from a picture (a grain reached 9.0 before it was asked)."""
    reply = {
        "score": 9.0,
        "breakdown": dict.fromkeys(CRITIQUE_DIMENSIONS, 9.0),
        "reasoning": "A fine match.",
        "revised_prompt": "a harbour at dusk",
    }
    server = FakeGateway(render_size=256, critique_reply=reply).start()
    try:
        engine = gateway_engine(settings_for(server))
        profile = engine.extractor.extract(load_set("cubist-dynamism-1913")).profile
        measured = profile.measurements
        assert measured is not None and measured.style is not None
        scores = []
        for seed in range(3, 10):
            grain = np.random.default_rng(seed)
            texture = bare_texture(measured.style.mean, set_colour(measured), grain)
            out = io.BytesIO()
            texture.save(out, "PNG")
            judged = engine.critic.critique(out.getvalue(), "p", Brief(profile, "a harbour"))
            scores.append(judged.result.score)
        assert max(scores) < 6.0, scores
    finally:
        server.stop()


def test_a_judge_that_likes_everything_cannot_lift_a_non_picture():
    """The vision model scores every picture 9.0; the measured picture check multiplies the
    score, as the offline critic's, so a flat field, noise and a texture with no layout stay
    below the gate and are named as such first, while a real painting keeps its 9.0."""
    reply = {
        "score": 9.0,
        "breakdown": dict.fromkeys(
            [
                "palette_tendency",
                "compositional_style",
                "emotional_register",
                "texture_feel",
                "avoid_list",
            ],
            9.0,
        ),
        "reasoning": "A fine match.",
        "revised_prompt": "a harbour at dusk",
    }
    server = FakeGateway(render_size=256, critique_reply=reply).start()
    try:
        engine = gateway_engine(settings_for(server))
        references = load_set("van-gogh-swirling-landscapes")
        profile = engine.extractor.extract(references[:3]).profile
        rng = np.random.default_rng(0)
        noise = Image.fromarray((rng.random((512, 512, 3)) * 255).astype(np.uint8))
        for picture in (Image.new("RGB", (512, 512), (90, 100, 140)), noise):
            out = io.BytesIO()
            picture.save(out, "PNG")
            judged = engine.critic.critique(out.getvalue(), "p", Brief(profile, "a harbour"))
            assert judged.result.score < 6.0, judged.result
            assert "As a picture, it" in judged.result.reasoning
            assert judged.result.reasoning.endswith(". A fine match.")  # its own sentence
            assert "as a picture, measured:" in server.calls("critique")[-1].text
        member = engine.critic.critique(references[3], "p", Brief(profile, "a harbour"))
        assert member.result.score == 9.0 and "As a picture" not in member.result.reasoning
    finally:
        server.stop()
