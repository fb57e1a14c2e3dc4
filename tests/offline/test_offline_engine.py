import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tasteloop.domain.engine import Brief
from tasteloop.domain.profile import CRITIQUE_DIMENSIONS, StyleControls
from tasteloop.images import encode
from tasteloop.measure.features import measure
from tasteloop.measure.histograms import histogram_distance, ordinal_histogram_distance
from tasteloop.measure.reference_set import measure_set
from tasteloop.measure.schema import ALL_FEATURES, HISTOGRAM_BINS, measurements_problem
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.critic.advice import costliest, gaps_to_close, in_their_words
from tasteloop.offline.critic.scoring import WEIGHTS, combined
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator
from tasteloop.offline.layout_spec import parse_adjustments, parse_prompt, set_adjustments
from tests.support.profiles import extracted
from tests.support.refsets import load_set


def disc(centre=(128, 128), size=256, radius=50) -> Image.Image:
    image = Image.new("RGB", (size, size), (240, 240, 240))
    x, y = centre
    ImageDraw.Draw(image).ellipse(
        [x - radius, y - radius, x + radius, y + radius], fill=(20, 20, 20)
    )
    return image


# measurement sanity -----------------------------------------------------------------------
def test_measurements_have_the_declared_shape_and_pass_the_schema():
    m = measure(disc())
    assert sorted(m.features) == sorted(ALL_FEATURES)
    assert {name: len(h) for name, h in m.histograms.items()} == HISTOGRAM_BINS
    summary = measure_set([m, measure(disc(centre=(80, 90)))]).stored()
    assert measurements_problem(summary) is None
    broken = dict(summary, references=[dict(summary["references"][0], hue_histogram=[0.5])])
    assert "hue_histogram" in measurements_problem(broken)
    assert "stats" in measurements_problem(dict(summary, stats={}))
    assert measurements_problem(dict(summary, extra=1)) is not None


def test_pure_red_has_red_palette_and_no_grain():
    m = measure(Image.new("RGB", (200, 200), (255, 0, 0)))
    assert m.palette[0].hex == "#ff0000"
    assert m.palette[0].weight == pytest.approx(1.0)
    assert m.features["grain"] == pytest.approx(0.0, abs=1e-6)
    assert m.features["chroma"] > 80
    assert m.features["warmth"] == pytest.approx(1.0)


def test_noise_raises_grain():
    rng = np.random.default_rng(1)
    flat = np.full((256, 256, 3), 128.0)
    noisy = np.clip(flat + rng.normal(0, 20, flat.shape), 0, 255).astype(np.uint8)
    assert measure(Image.fromarray(noisy)).features["grain"] > 0.03
    assert measure(Image.fromarray(flat.astype(np.uint8))).features["grain"] < 0.001


def test_centred_disc_has_centred_mass_and_off_centre_disc_does_not():
    centred = measure(disc()).features
    assert centred["mass_x"] == pytest.approx(0.5, abs=0.03)
    assert centred["mass_y"] == pytest.approx(0.5, abs=0.03)
    assert centred["symmetry"] > 0.95
    left = measure(disc(centre=(60, 128))).features
    assert left["mass_x"] < 0.4
    assert left["symmetry"] < centred["symmetry"]


def test_grey_image_is_cool_neutral_and_fully_grey():
    m = measure(Image.new("RGB", (64, 64), (100, 100, 100))).features
    assert m["grey_fraction"] == 1.0 and m["chroma"] < 1


def test_stripes_are_straight_and_circles_are_not():
    stripes = Image.new("RGB", (256, 256), "white")
    draw = ImageDraw.Draw(stripes)
    for x in range(0, 256, 16):
        draw.rectangle([x, 0, x + 7, 255], fill="black")
    rings = Image.new("RGB", (256, 256), "white")
    draw = ImageDraw.Draw(rings)
    for r in range(10, 128, 12):
        draw.ellipse([128 - r, 128 - r, 128 + r, 128 + r], outline="black", width=4)
    straight = measure(stripes).features["straightness"]
    assert straight > 0.9
    # pixel staircases bias rasterised circles towards the axes, but far less than stripes
    assert measure(rings).features["straightness"] < straight - 0.3


# vocabulary -------------------------------------------------------------------------------
def test_vocabulary_reads_colours_composition_texture_mood_and_motifs():
    spec = parse_prompt(
        "A harbour at dusk, #8a5a44 (60%) and navy, centred, sparse negative space, "
        "heavy grain, blurred, painterly, calm, dark, circles and waves"
    )
    assert spec.colours[0] == ((0x8A, 0x5A, 0x44), 60.0)
    assert ((0, 0, 128), 10.0) in spec.colours
    assert spec.placement == "centre"
    assert spec.density < 0.5
    assert spec.grain == 0.7 and spec.softness == 0.75 and spec.brushwork == 0.6
    assert spec.energy < 0.5 and spec.lightness < 0
    assert {"circles", "waves", "horizon"} <= set(spec.motifs)


def test_a_portrait_is_laid_out_as_a_head_and_shoulders_figure():
    prompt = "a portrait of an old fisherman, centred, flat colour, smooth, crisp, #1a2030, #e8d8b8, #6a4a3a"
    assert "figure" in parse_prompt(prompt).motifs
    assert "blobs" not in parse_prompt(prompt).motifs
    layout = np.asarray(OfflineGenerator(size=512).render(prompt), dtype=np.float32)
    background = layout[20, 20]
    shoulders = layout[500, 256]
    face = layout[int(512 * 0.42), 256]
    # clothes fill the bottom centre; the face, lighter than them, sits above; both differ
    # from the background
    assert np.abs(shoulders - background).sum() > 60
    assert face.sum() > shoulders.sum() + 100


def test_a_street_is_laid_out_in_perspective_and_rain_falls_over_it():
    prompt = (
        "a city street in the rain, centred, flat colour, smooth, crisp, #101418, #5a5a60, #c04030"
    )
    spec = parse_prompt(prompt)
    assert {"street", "rain"} <= set(spec.motifs) and "lines" not in spec.motifs
    plain = parse_prompt(prompt.replace(" in the rain", ""))
    assert "rain" not in plain.motifs
    layout = np.asarray(OfflineGenerator(size=512).render(prompt.replace(" in the rain", "")))
    road = layout[505, 256].astype(int)
    # the road is the second darkest colour and narrows upwards: wide at the bottom, gone
    # above the vanishing point, where the façades (and the sky) take over
    assert np.abs(road - (0x5A, 0x5A, 0x60)).sum() < 40
    assert np.abs(layout[505, 160].astype(int) - road).sum() < 40
    assert np.abs(layout[300, 160].astype(int) - road).sum() > 40
    rainy = np.asarray(OfflineGenerator(size=512).render(prompt), dtype=np.float32)
    assert np.abs(rainy - layout).mean() > 1  # streaks over the picture


def test_unknown_words_are_ignored():
    assert parse_prompt("zxqv blorp wibble") == parse_prompt("")


def test_avoid_clause_and_negations_are_not_painted():
    spec = parse_prompt("a field. Avoid: film grain; grids; monochrome. Never smooth.")
    assert spec.grain == 0.1  # the default, not "grain" or "smooth"
    assert "grid" not in spec.motifs
    assert spec.monochrome is False


def test_adjustments_round_trip():
    prompt = set_adjustments("a field.", {"detail": 2, "grain": -1.5})
    assert prompt == "a field. Adjustments: detail +2, grain -1.5."
    assert parse_adjustments(prompt) == {"detail": 2.0, "grain": -1.5}
    rewritten = set_adjustments(prompt, {"detail": 3})
    assert rewritten.count("Adjustments:") == 1 and parse_adjustments(rewritten) == {"detail": 3.0}
    assert parse_prompt(rewritten).density > parse_prompt("a field.").density


# generator ---------------------------------------------------------------------------------
def test_render_is_deterministic_and_seed_sensitive():
    generator = OfflineGenerator(size=256)
    a = generator.render_png("circles, #ff0000, #0000ff", seed=1)
    assert a == generator.render_png("circles, #ff0000, #0000ff", seed=1)
    assert a != generator.render_png("circles, #ff0000, #0000ff", seed=2)


def test_default_output_is_1024_png():
    image = OfflineGenerator().generate("stripes", seed=0)
    assert image.mime_type == "image/png"
    assert Image.open(io.BytesIO(image.data)).size == (1024, 1024)


def test_renderer_follows_palette_and_grain_words():
    generator = OfflineGenerator(size=256)
    red = measure(generator.render("flat colour, #d01010 (90%) #300000 (10%), smooth, crisp"))
    assert red.features["warmth"] > 0.8 and red.features["chroma"] > 40
    grainy = measure(generator.render("#808080 (100%), flat colour, heavy grain, crisp"))
    clean = measure(generator.render("#808080 (100%), flat colour, smooth, crisp"))
    assert grainy.features["grain"] > clean.features["grain"] + 0.005


PLAIN = "circles, sparse, flat colour, smooth, crisp, #f0ece0 (80%) #202020 (20%)"


def _rendered(prompt: str, seeds: range = range(4)) -> list[dict[str, float]]:
    generator = OfflineGenerator(size=256)
    return [measure(generator.render(prompt, seed=seed)).features for seed in seeds]


def test_placement_words_move_the_visual_mass():
    left = _rendered(f"{PLAIN}, off-centre left")
    right = _rendered(f"{PLAIN}, off-centre right")
    assert max(f["mass_x"] for f in left) < 0.47 < 0.55 < min(f["mass_x"] for f in right)
    symmetrical = np.mean([f["symmetry"] for f in _rendered(f"{PLAIN}, symmetrical")])
    assert symmetrical > np.mean([f["symmetry"] for f in left]) + 0.15


def test_mood_and_softness_words_change_what_is_measured():
    dark = _rendered("waves, dark, #3060a0 #e0d0a0", range(2))
    bright = _rendered("waves, bright, #3060a0 #e0d0a0", range(2))
    assert max(f["lightness"] for f in dark) + 10 < min(f["lightness"] for f in bright)
    blurred = _rendered("blobs, soft, blurred, #3060a0 #e0d0a0", range(2))
    crisp = _rendered("blobs, crisp, sharp, #3060a0 #e0d0a0", range(2))
    assert max(f["hf_energy"] for f in blurred) < min(f["hf_energy"] for f in crisp)


# extractor and critic on real sets --------------------------------------------------------
def test_extractor_profile_is_specific_and_measured():
    profile = OfflineExtractor().extract(load_set("monochrome-ink-and-etching")).profile
    assert "ink" in profile.palette_tendency.lower()
    assert "no colour" in profile.palette_tendency
    assert 3 <= len(profile.avoid_list) <= 5 and 3 <= len(profile.principles) <= 5
    assert "neon" not in profile.palette_tendency
    assert len(profile.measurements.references) == 4


def test_critic_prefers_a_held_out_member_over_a_foreign_image():
    etchings = load_set("monochrome-ink-and-etching")
    vivid = load_set("expressionist-vivid-color")
    profile = OfflineExtractor().extract(etchings[:3]).profile
    critic = OfflineCritic()
    own = critic.critique(etchings[3], "p", Brief(profile, "i")).result
    foreign = critic.critique(vivid[0], "p", Brief(profile, "i")).result
    assert own.score > foreign.score
    assert list(own.breakdown) == list(CRITIQUE_DIMENSIONS)
    # one sentence in the profile's own words; the numbers are kept for the details fold
    assert "measures" not in foreign.reasoning and foreign.reasoning.count(".") >= 1
    assert any(
        in_their_words(profile, d)[:30] in foreign.reasoning for d in CRITIQUE_DIMENSIONS[:4]
    )
    assert foreign.revised_prompt.startswith("p")


def test_critic_penalises_an_avoided_trait():
    etchings = load_set("monochrome-ink-and-etching")
    profile = OfflineExtractor().extract(etchings).profile
    assert any("colour" in item for item in profile.avoid_list)
    neon = encode(OfflineGenerator(size=256).render("#ff00ff (50%) #00ff00 (50%) circles"), "PNG")
    result = OfflineCritic().critique(neon, "p", Brief(profile, "i")).result
    assert result.breakdown["avoid_list"] < 10


def test_overall_is_the_lower_of_two_verdicts_and_each_is_what_it_says():
    """Without the style network (strength 0) the score is the dimensions combined (their
    weighted power mean); with it, the lower of that and the network's own verdict."""
    vivid = load_set("expressionist-vivid-color")
    profile = extracted(vivid[:3])
    image = vivid[3]
    without = OfflineCritic().judge(image, profile.with_style(StyleControls(strength=0.0)))
    expected = combined(without.scores, OfflineCritic().weights)
    assert without.by_network is None
    assert without.overall == pytest.approx(expected * without.picture.plausibility, abs=0.01)
    shipped = OfflineCritic().judge(image, profile)
    assert shipped.by_network is not None
    assert shipped.overall == pytest.approx(
        min(shipped.independent, shipped.by_network) * shipped.picture.plausibility, abs=0.01
    )
    assert shipped.independent == pytest.approx(without.independent, abs=0.01)
    only_texture = {d: 0.0 for d in CRITIQUE_DIMENSIONS} | {"texture_feel": 1.0}
    judged = OfflineCritic(only_texture).judge(image, profile.with_style(StyleControls(strength=0)))
    assert judged.overall == pytest.approx(judged.scores["texture_feel"], abs=0.01)


def test_critic_works_for_an_edited_profile_without_measurements():
    profile = OfflineExtractor().extract(load_set("van-gogh-swirling-landscapes")).profile
    edited = profile.model_copy(
        update={"measurements": None, "palette_tendency": "Pure red.", "palette": ["#ff0000"]}
    )
    red = encode(OfflineGenerator(size=256).render("#ff0000 (100%) flat colour"), "PNG")
    blue = encode(OfflineGenerator(size=256).render("#0000ff (100%) flat colour"), "PNG")
    critic = OfflineCritic()
    assert (
        critic.critique(red, "p", Brief(edited, "i")).result.breakdown["palette_tendency"]
        > critic.critique(blue, "p", Brief(edited, "i")).result.breakdown["palette_tendency"]
    )


def test_revised_prompt_moves_towards_the_references():
    profile = OfflineExtractor().extract(load_set("van-gogh-swirling-landscapes")).profile
    prompt = "a quiet harbour, #b9c5bd (50%) #2a3130 (50%), flat colour, sparse"
    image = OfflineGenerator(size=512).generate(prompt).data
    revised = OfflineCritic().critique(image, prompt, Brief(profile, "a quiet harbour")).result
    adjustments = parse_adjustments(revised.revised_prompt)
    assert adjustments.get("detail", 0) > 0  # van Gogh is dense; the image is sparse
    assert revised.revised_prompt.startswith("a quiet harbour")
    assert not math.isnan(revised.score)


# what lets the loop converge on every shared set ------------------------------------------
def test_monochrome_keeps_the_palettes_ink_tone():
    generator = OfflineGenerator(size=256)
    sepia = measure(generator.render("monochrome etching, hatching, #704214 (40%) #f4ecd8 (60%)"))
    assert 1.0 < sepia.features["chroma"] < 12  # a tint, not colour and not pure grey
    assert sepia.features["warmth"] > 0.3
    grey = measure(generator.render("monochrome etching, hatching, #404040 (40%) #f0f0f0 (60%)"))
    assert grey.features["chroma"] < 1.0


def test_planes_fragment_the_whole_frame():
    generator = OfflineGenerator(size=512)
    planes = measure(generator.render("fragmented interlocking planes, #c04020 #203040 #e0d0b0"))
    circle = measure(generator.render("one circle, sparse, #c04020 #203040 #e0d0b0"))
    assert planes.features["negative_space"] < circle.features["negative_space"] - 0.2
    assert planes.features["edge_density"] > circle.features["edge_density"]


def test_detail_keeps_adding_marks_past_dense():
    generator = OfflineGenerator(size=512)
    prompt = "a harbour at dusk, swirling, dense, #203060 #e0c040 #f0f0e0"
    assert parse_prompt(f"{prompt} Adjustments: detail +8.").density > 1.0
    dense = measure(generator.render(prompt))
    denser = measure(generator.render(f"{prompt} Adjustments: detail +8."))
    assert denser.features["edge_density"] > dense.features["edge_density"]
    assert denser.features["negative_space"] < dense.features["negative_space"]


def test_extractor_names_the_shared_structure():
    extractor = OfflineExtractor()
    geometric = extractor.extract(load_set("geometric-abstraction")).profile
    cubist = extractor.extract(load_set("cubist-dynamism-1913")).profile
    swirling = extractor.extract(load_set("van-gogh-swirling-landscapes")).profile
    assert "grid of rectangles" in geometric.compositional_style
    assert "grid" in parse_prompt(geometric.compositional_style).motifs
    assert "interlocking planes" in cubist.compositional_style
    assert "planes" in parse_prompt(cubist.compositional_style).motifs
    assert "grid" not in swirling.compositional_style
    assert "planes" not in swirling.compositional_style


def test_an_avoid_list_violation_steers_the_revision():
    profile = OfflineExtractor().extract(load_set("van-gogh-swirling-landscapes")).profile
    assert any("empty" in item for item in profile.avoid_list)
    prompt = "one small circle, sparse, #b9c5bd (50%) #2a3130 (50%)"
    image = OfflineGenerator(size=512).generate(prompt).data
    critic = OfflineCritic()
    judgement = critic.judge(image, profile)
    empty = next(v for v in judgement.violations if v.feature == "negative_space")
    fixes = [gap for gap in gaps_to_close(judgement) if gap.feature == "negative_space"]
    assert [(gap.control, gap.steps > 0, gap.dimension) for gap in fixes] == [
        ("detail", True, "avoid_list")
    ]
    assert fixes[0].target < empty.limit  # back inside the limit, with a margin
    result = critic.critique(image, prompt, Brief(profile, "i")).result
    assert result.breakdown["avoid_list"] < 10
    assert parse_adjustments(result.revised_prompt)["detail"] > 0


def test_reasoning_advice_matches_the_direction_of_the_change():
    profile = OfflineExtractor().extract(load_set("monochrome-ink-and-etching")).profile
    prompt = "a harbour, monochrome, hatching, #fefefe #040404, blurred"
    image = OfflineGenerator(size=512).generate(prompt).data
    result = OfflineCritic().critique(image, prompt, Brief(profile, "a harbour")).result
    softness = parse_adjustments(result.revised_prompt).get("softness", 0)
    assert softness < 0  # blurred against crisp etchings: sharpen
    if "softer" in result.reasoning or "crisper" in result.reasoning:
        assert "crisper edges" in result.reasoning


def test_the_biggest_gap_is_the_dimension_that_costs_the_score_most():
    scores = dict.fromkeys(CRITIQUE_DIMENSIONS, 9.0)
    scores |= {"palette_tendency": 2.0, "texture_feel": 4.0}
    # palette scores lowest, but 6 points of texture weigh more than 8 of palette
    assert WEIGHTS["texture_feel"] * 6 > WEIGHTS["palette_tendency"] * 8
    assert costliest(scores, WEIGHTS) == "texture_feel"
    assert costliest(scores, dict.fromkeys(CRITIQUE_DIMENSIONS, 0.2)) == "palette_tendency"


def test_ordinal_histograms_count_how_far_the_mass_moved():
    grey = [1.0, 0, 0, 0, 0, 0, 0, 0]
    tinted = [0, 1.0, 0, 0, 0, 0, 0, 0]  # every pixel one chroma step up
    partly_vivid = [0.7, 0, 0, 0, 0, 0, 0, 0.3]  # mostly grey, a third in full colour
    assert ordinal_histogram_distance(grey, grey) == 0
    assert ordinal_histogram_distance(grey, [0, 0, 0, 0, 0, 0, 0, 1.0]) == pytest.approx(1.0)
    assert ordinal_histogram_distance(grey, tinted) < ordinal_histogram_distance(grey, partly_vivid)
    # total variation ranks them the other way round, which is why chroma is not judged by it
    assert histogram_distance(grey, tinted) > histogram_distance(grey, partly_vivid)
