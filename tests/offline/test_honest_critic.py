"""An offline critic that cannot be fooled and judges the subject (#29): non-pictures and other
tastes stay below the gate, a held-out member passes or comes close, the style network cannot
carry a verdict on its own, and a picture shows its intent only when the motif it was drawn as
survived the painting (a word with no motif never counts)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from tasteloop.domain.critique import CritiqueResult
from tasteloop.domain.engine import Brief, GeneratedImage, GenerationInputs
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.run_settings import DEFAULT_GATE_LOW, LoopSettings, Verdict, verdict
from tasteloop.domain.style import style_target
from tasteloop.domain.subject import SubjectPart, SubjectVerdict
from tasteloop.images import encode
from tasteloop.measure.bare_style import bare_variety, texture_variety
from tasteloop.measure.features import Planes
from tasteloop.measure.generic_style import built_in_painter
from tasteloop.measure.picture import (
    direction_variety,
    morans_i,
    spatial_coherence,
    structural_reach,
)
from tasteloop.measure.picture_check import (
    BARE_RATIO,
    SAME_EVERYWHERE_WORDS,
    SHORT_REACH_WORDS,
    PictureCheck,
    Shortfall,
    bare_shortfall,
    check_picture,
    variety_shortfall,
)
from tasteloop.measure.schema import Measurements, PictureStats
from tasteloop.measure.style_network import TRANSFORM_SIDE, style_network
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.critic.advice import costliest
from tasteloop.offline.critic.scoring import WEIGHTS, combined
from tasteloop.offline.critic.subject import motif_visibility
from tasteloop.offline.generator import OfflineGenerator
from tasteloop.offline.generator.paint import paint_in_style
from tasteloop.offline.intent_reading import what_it_can_draw
from tests.support.profiles import extracted
from tests.support.refsets import load_set

SIDE = 512


SHARED_SETS = [
    "cubist-dynamism-1913",
    "expressionist-vivid-color",
    "geometric-abstraction",
    "monochrome-ink-and-etching",
    "van-gogh-swirling-landscapes",
]


def on_sets(names: list[str], fast: str) -> list:
    """A check per shared set: `make check` runs it on `fast` (the set nearest its edge), the
    whole suite on every one."""
    assert fast in names
    return [pytest.param(n, marks=() if n == fast else pytest.mark.slow) for n in names]


def _png(image: Image.Image) -> bytes:
    return encode(image, "PNG")


@pytest.fixture(scope="module")
def van_gogh():
    return load_set("van-gogh-swirling-landscapes")


@pytest.fixture(scope="module")
def profile(van_gogh):
    return extracted(van_gogh)


def _score(image: bytes, profile) -> float:
    return OfflineCritic().critique(image, "p", Brief(profile, "a picture")).result.score


def _non_pictures(references: list[bytes]) -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    first = Image.open(io.BytesIO(references[0])).convert("RGB").resize((SIDE, SIDE))
    pixels = np.asarray(first, dtype=np.float64).reshape(-1, 3)
    bands = np.zeros((SIDE, SIDE, 3))
    for k in range(SIDE):
        bands[k] = pixels[(k // 40) * 997 % len(pixels)]
    sheet = Image.new("RGB", (SIDE, SIDE), (238, 232, 220))
    draw = ImageDraw.Draw(sheet)
    for k in range(4):
        draw.line([(80 + 90 * k, 150), (120 + 90 * k, 320)], fill=(30, 30, 30), width=4)
    return {
        "flat grey": _png(Image.new("RGB", (SIDE, SIDE), (128, 128, 128))),
        "uniform noise": _png(
            Image.fromarray((rng.random((SIDE, SIDE, 3)) * 255).astype(np.uint8))
        ),
        "its own pixels shuffled": _png(
            Image.fromarray(
                pixels[rng.permutation(len(pixels))].reshape(SIDE, SIDE, 3).astype(np.uint8)
            )
        ),
        "a reference smeared": _png(first.filter(ImageFilter.GaussianBlur(10))),
        "bands": _png(Image.fromarray(bands.astype(np.uint8))),
        "stripes": _png(Image.fromarray(np.transpose(bands, (1, 0, 2)).astype(np.uint8).copy())),
        "a blank sheet with a few marks": _png(sheet),
    }


def test_non_pictures_stay_below_the_gate(van_gogh, profile):
    for label, image in _non_pictures(van_gogh).items():
        score = _score(image, profile)
        assert score < DEFAULT_GATE_LOW, (label, score)


def _pink_noise(references: list[bytes], seed: int = 4) -> bytes:
    """1/f noise (a natural picture's spectrum and every direction alike) in the references'
    colours: it has their palette, their spectral slope and their large-scale variance."""
    rng = np.random.default_rng(seed)
    pixels = np.concatenate(
        [
            np.asarray(Image.open(io.BytesIO(r)).convert("RGB").resize((128, 128)))
            for r in references
        ]
    ).reshape(-1, 3)
    fy, fx = np.fft.fftfreq(SIDE)[:, None], np.fft.fftfreq(SIDE)[None, :]
    falloff = np.hypot(fy, fx)
    falloff[0, 0] = 1.0

    def field() -> np.ndarray:
        values = np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(SIDE, SIDE))) / falloff))
        return (values - values.mean()) / values.std()

    shared = field()
    channels = [
        pixels[:, c].mean() + pixels[:, c].std() * (0.7 * shared + 0.3 * field()) for c in range(3)
    ]
    return _png(Image.fromarray(np.clip(np.stack(channels, -1), 0, 255).astype(np.uint8)))


@pytest.mark.parametrize("set_name", on_sets(SHARED_SETS, fast="monochrome-ink-and-etching"))
def test_pink_noise_in_the_sets_colours_stays_below_the_gate(set_name):
    """Noise with a natural spectrum has no edges: its neighbouring differences are Gaussian."""
    references = load_set(set_name)
    profile = extracted(references)
    judged = OfflineCritic().judge(_pink_noise(references), profile)
    assert judged.overall < DEFAULT_GATE_LOW, judged.overall
    assert judged.picture.problem and "noise" in judged.picture.problem


def _mean_colour(references: list[bytes]) -> np.ndarray:
    return np.concatenate(
        [
            np.asarray(Image.open(io.BytesIO(r)).convert("RGB").resize((128, 128))).reshape(-1, 3)
            for r in references
        ]
    ).mean(axis=0)


def _style_texture(references: list[bytes], profile, side: int = SIDE, seed: int = 7) -> bytes:
    """The style network's marks over a flat field in the set's mean colour (with a faint grain
    drawn from `seed`): the set's own style, colours and mark-making, with no layout under them
    (scaled to `side`)."""
    rng = np.random.default_rng(seed)
    flat = np.full((TRANSFORM_SIDE, TRANSFORM_SIDE, 3), _mean_colour(references) / 255.0)
    flat += rng.normal(0, 0.02, flat.shape)
    vector = np.asarray(profile.measurements.style.mean, np.float32)
    painted = style_network().paint(np.clip(flat, 0, 1).astype(np.float32), vector)
    texture = Image.fromarray((np.clip(painted, 0, 1) * 255).astype(np.uint8))
    return _png(texture.resize((side, side)))


@pytest.mark.parametrize("set_name", on_sets(SHARED_SETS, fast="cubist-dynamism-1913"))
def test_a_style_texture_with_no_layout_stays_below_the_gate(set_name):
    """It scored 9.9 against the cubist and geometric sets, 7.0 against the expressionist."""
    references = load_set(set_name)
    profile = extracted(references)
    judged = OfflineCritic().judge(_style_texture(references, profile), profile)
    assert judged.overall < DEFAULT_GATE_LOW, judged.overall


def test_a_style_texture_of_a_taste_never_seen_stays_below_the_gate():
    """A taste nothing was chosen on: one of the style network wheel's built-in styles painted
    over four pictures of different sets. Its texture over a flat field has the set's marks and
    the network likes it; its colour and mood are far off, and the independent verdict fails it
    (the weighted average of the dimensions put it at 6.3)."""
    paint = built_in_painter()
    references = []
    for name in SHARED_SETS[:4]:
        picture = Image.open(io.BytesIO(load_set(name)[1])).convert("RGB").resize((SIDE, SIDE))
        references.append(
            encode(Image.fromarray((paint(picture, 24) * 255).astype(np.uint8)), "JPEG")
        )
    profile = extracted(references)
    judged = OfflineCritic().judge(_style_texture(references, profile, TRANSFORM_SIDE), profile)
    assert judged.by_network >= DEFAULT_GATE_LOW
    assert judged.independent < DEFAULT_GATE_LOW
    assert judged.overall < DEFAULT_GATE_LOW, judged.overall


@pytest.mark.parametrize("set_name", on_sets(SHARED_SETS, fast="cubist-dynamism-1913"))
def test_the_painters_own_pass_over_an_empty_layout_stays_below_the_gate(set_name):
    """The generator's style pass over a flat layout: the network the critic also reads. Against
    the cubist and geometric sets it reached the gate (6.7 and 6.4) until the picture had to
    stand apart from the set's style laid over nothing."""
    references = load_set(set_name)
    profile = extracted(references)
    rng = np.random.default_rng(7)
    layout = np.full((1024, 1024, 3), _mean_colour(references)) + rng.normal(0, 6, (1024, 1024, 3))
    vector = np.asarray(profile.measurements.style.mean, np.float32)
    painted = paint_in_style(Image.fromarray(np.clip(layout, 0, 255).astype(np.uint8)), vector, 1.0)
    judged = OfflineCritic().judge(_png(painted), profile)
    assert judged.overall < DEFAULT_GATE_LOW, judged.overall
    # named as a texture, whichever of the texture's shortfalls is the most basic
    texture = (Shortfall.NO_FORMS, Shortfall.NO_LAYOUT, Shortfall.SAME_EVERYWHERE)
    assert judged.picture.shortfall in texture, judged.picture


@pytest.mark.parametrize(
    "set_name",
    on_sets(
        [s for s in SHARED_SETS if not s.startswith("monochrome")],
        fast="van-gogh-swirling-landscapes",
    ),
)
def test_a_reference_cut_into_shuffled_tiles_stays_below_the_gate(set_name):
    """Every tile is a piece of a member, so colour and marks are the set's own: only the
    layout is gone (it reached 8.8-9.9 for four sets). Not for the ink set: its pencil sketch,
    mostly bare paper, holds together no better than shuffled woodcut pieces do, so asking more
    would fail that member (BENCHMARKS.md)."""
    references = load_set(set_name)
    profile = extracted(references)
    first = np.asarray(Image.open(io.BytesIO(references[0])).convert("RGB").resize((SIDE, SIDE)))
    side = SIDE // 8
    tiles = first.reshape(8, side, 8, side, 3).transpose(0, 2, 1, 3, 4).reshape(64, side, side, 3)
    tiles = tiles[np.random.default_rng(7).permutation(64)]
    shuffled = tiles.reshape(8, 8, side, side, 3).transpose(0, 2, 1, 3, 4).reshape(SIDE, SIDE, 3)
    judged = OfflineCritic().judge(_png(Image.fromarray(shuffled)), profile)
    assert judged.overall < DEFAULT_GATE_LOW, judged.overall


@pytest.mark.parametrize("set_name", on_sets(SHARED_SETS, fast="geometric-abstraction"))
def test_no_held_out_member_is_called_a_picture_with_no_layout(set_name):
    """The layout check asks only what the references themselves show."""
    references = load_set(set_name)
    for k, member in enumerate(references):
        profile = extracted(references[:k] + references[k + 1 :])
        picture = OfflineCritic().judge(member, profile).picture
        assert picture.shortfall is not Shortfall.NO_LAYOUT, (k, picture)


def test_regions_that_hold_together_and_structure_that_reaches_are_measured():
    rng = np.random.default_rng(3)
    noise = (rng.random((256, 256, 3)) * 255).astype(np.uint8)
    texture = Image.fromarray(noise).filter(ImageFilter.GaussianBlur(3))
    landscape = np.zeros((256, 256, 3))
    landscape[:128] = (200, 210, 230)
    landscape[128:] = (60, 80, 40)
    landscape = Image.fromarray(
        np.clip(landscape + rng.normal(0, 10, landscape.shape), 0, 255).astype(np.uint8)
    )

    def stats(image: Image.Image):
        planes = Planes.of(image)
        return spatial_coherence(planes.lab, planes.magnitude), structural_reach(
            planes.lab, planes.magnitude
        )

    (noise_coherence, noise_reach), (texture_coherence, texture_reach) = (
        stats(Image.fromarray(noise)),
        stats(texture),
    )
    coherence, reach = stats(landscape)
    assert coherence > 0.7 > 0.35 > max(noise_coherence, texture_coherence)
    assert reach > -0.3 and max(noise_reach, texture_reach) < -1.0
    # a picture too small to hold regions is not read, rather than called a texture
    tiny = Planes.of(Image.fromarray(noise).resize((24, 24)))
    assert spatial_coherence(tiny.lab, tiny.magnitude) is None
    assert structural_reach(tiny.lab, tiny.magnitude) is None
    assert morans_i(np.arange(64.0).reshape(8, 8)) > 0.8
    checker = np.indices((8, 8)).sum(axis=0) % 2
    assert morans_i(checker.astype(float)) < -0.9


def test_how_much_the_parts_differ_in_which_way_their_edges_run_is_measured():
    """A texture's marks run the same ways everywhere; a picture's parts have their own."""
    rng = np.random.default_rng(5)
    marks = Image.new("L", (256, 256), 200)
    draw = ImageDraw.Draw(marks)
    for x, y, angle in zip(*rng.random((3, 900)), strict=True):
        dx, dy = 6 * np.cos(angle * np.pi), 6 * np.sin(angle * np.pi)
        draw.line([(256 * x - dx, 256 * y - dy), (256 * x + dx, 256 * y + dy)], fill=40, width=2)
    parts = np.full((256, 256), 200, dtype=np.uint8)
    parts[:128, :][::8] = 40  # a sky of level streaks over
    parts[128:, :][:, ::8] = 40  # a field of upright stems
    parts[128:, :128] = np.asarray(marks)[128:, :128]  # and a patch of the texture
    texture, picture = (
        Planes.of(Image.fromarray(np.asarray(i)).convert("RGB")) for i in (marks, parts)
    )
    same = direction_variety(texture.gx, texture.gy, texture.magnitude)
    differ = direction_variety(picture.gx, picture.gy, picture.magnitude)
    assert same is not None and differ is not None
    assert same < 0.1 < 0.3 < differ
    flat = Planes.of(Image.new("RGB", (64, 64), (90, 90, 90)))
    # no edges: nothing to compare
    assert direction_variety(flat.gx, flat.gy, flat.magnitude) is None


def test_a_style_texture_whose_marks_run_the_same_ways_everywhere_stays_below_the_gate():
    """The style network's texture over a flat field, on a grain the layout checks let through
    (it scored 6.7: its regions happen to hold together), but every part's marks run the same
    ways, where the references' parts differ."""
    references = load_set("expressionist-vivid-color")
    profile = extracted(references)
    texture = _style_texture(references, profile, TRANSFORM_SIDE, seed=0)
    judged = OfflineCritic().judge(texture, profile)
    assert judged.overall < DEFAULT_GATE_LOW, judged.overall
    assert judged.picture.words == SAME_EVERYWHERE_WORDS


@pytest.mark.parametrize(
    "set_name",
    on_sets(["cubist-dynamism-1913", "geometric-abstraction"], fast="geometric-abstraction"),
)
def test_a_style_texture_stays_below_the_gate_whatever_its_grain(set_name):
    """The style network's texture over ten grains of a flat field. These two sets' least varied
    references are all-over (facets, a grid), so the checks measured against the references let
    some grains through (a cubist one at 8.6, geometric ones up to 9.0); the set's own style laid
    over nothing shows what a texture in it measures like."""
    references = load_set(set_name)
    profile = extracted(references)
    critic = OfflineCritic()
    scores = [
        critic.judge(_style_texture(references, profile, TRANSFORM_SIDE, seed=seed), profile)
        for seed in range(10)
    ]
    assert max(s.overall for s in scores) < DEFAULT_GATE_LOW, [s.overall for s in scores]


def test_a_picture_no_more_varied_than_its_style_laid_over_nothing_is_a_texture():
    """Half the least varied reference's variety lets a texture through where that reference is
    all-over; BARE_RATIO times the bare style's variety does not, and asks nothing of a picture
    well above it, nothing when the set has no learned style, and never more than the least
    varied reference shows."""
    references = [
        PictureStats(
            contrast=0.2,
            slope=-2.4,
            orientation_spread=0.95,
            structure=0.2,
            sparseness=6.0,
            coherence=0.5,
            reach=-0.6,
            variety=variety,
        )
        for variety in (0.09, 0.12)
    ]
    texture = references[0].model_copy(update={"variety": 0.05})
    assert check_picture(texture, references).plausibility == 1.0
    assert check_picture(texture, references, bare=None).plausibility == 1.0
    judged = check_picture(texture, references, bare=0.05)
    assert not judged.passed and judged.plausibility < 0.2
    assert judged.shortfall is Shortfall.SAME_EVERYWHERE
    assert judged.words == SAME_EVERYWHERE_WORDS
    assert check_picture(references[0], references, bare=0.05).plausibility == 1.0
    # a set whose own least varied picture is as even as its bare style asks no more than it
    even = [references[1], references[0].model_copy(update={"variety": 0.05})]
    assert check_picture(texture, even, bare=0.05).plausibility == 1.0
    assert not check_picture(texture.model_copy(update={"variety": 0.04}), even, bare=0.05).passed


@pytest.mark.parametrize("set_name", on_sets(SHARED_SETS, fast="geometric-abstraction"))
def test_a_sets_style_laid_over_nothing_is_less_varied_than_its_references(set_name):
    """What makes the bare-style check safe for the set's own members: each stands apart from
    a texture in its style. Measured once per style (a worker judges many pictures against it)."""
    profile = extracted(load_set(set_name))
    bare = bare_variety(profile.measurements)
    assert bare is not None and bare > 0
    least = min(r.picture.variety for r in profile.measurements.references)
    assert least >= BARE_RATIO * bare, (least, bare)


def test_the_bare_style_is_measured_with_the_references_and_anew_when_reweighted():
    """Painted once at extraction and stored with the set's style (so a critique need not);
    weighting the references otherwise makes another style, whose bare texture is painted at
    the next critique and kept; a profile stored before it was measured reads the same."""
    profile = extracted(load_set("van-gogh-swirling-landscapes"))
    style = profile.measurements.style
    assert style.bare_variety is not None
    texture_variety.cache_clear()
    unmeasured = profile.measurements.model_copy(
        update={"style": style.model_copy(update={"bare_variety": None})}
    )
    assert bare_variety(unmeasured) == pytest.approx(style.bare_variety, abs=1e-5)
    reweighted = profile.with_style(profile.style.model_copy(update={"weights": [1, 1, 1, 2]}))
    assert reweighted.measurements.style.mean != style.mean
    assert reweighted.measurements.style.bare_variety is None
    again = bare_variety(reweighted.measurements)
    assert again is not None and again != style.bare_variety
    assert texture_variety.cache_info().currsize == 2  # each style painted once, then kept
    stored = profile.measurements.stored()
    del stored["style"]["bare_variety"]
    assert Measurements.model_validate(stored).style.bare_variety is None
    assert bare_variety(profile.measurements.model_copy(update={"style": None})) is None


@pytest.mark.parametrize("set_name", on_sets(SHARED_SETS, fast="expressionist-vivid-color"))
def test_pictures_the_painter_lays_out_are_not_called_the_same_everywhere(set_name):
    """The painter's own pictures whose motifs survived the painting are not textures: their
    parts differ in direction at least as the checks ask (VARIETY_SHARE of the least varied
    reference's, BARE_RATIO times the set's style laid over nothing). The expressionist set's
    are the nearest to the first edge, the geometric and Van Gogh sets' to the second."""
    profile = extracted(load_set(set_name))
    references = [r.picture for r in profile.measurements.references]
    bare = bare_variety(profile.measurements)
    inputs = GenerationInputs(style=style_target(profile))
    laid_out = 0
    for intent in ("a harbour at dusk", "flowers in a garden under the moon", "a city street"):
        picture = OfflineGenerator().generate(initial_prompt(intent, profile), inputs=inputs)
        assert picture.sketch is not None
        visible = motif_visibility(picture.data, picture.sketch).values()
        if all(shown for shown, _ in visible):
            laid_out += 1
            stats = OfflineCritic().judge(picture.data, profile).image.picture
            assert variety_shortfall(stats, references) == 0, (intent, stats.variety)
            assert bare_shortfall(stats, bare, references) == 0, (intent, stats.variety, bare)
    assert laid_out, "no picture kept its layout"


def test_marks_that_turn_less_than_the_references_are_not_bands():
    """Marks that "all run one way" is a verdict on bands and stripes, not on a set's manner: a
    picture whose spectrum turns less than every reference's (a horizon across the whole width)
    is still a picture; bands are not, whatever the set."""
    all_over = [
        PictureStats(contrast=0.2, slope=-2.3, orientation_spread=spread, structure=0.3)
        for spread in (0.9, 0.97)
    ]
    horizon = all_over[0].model_copy(update={"orientation_spread": 0.7})
    assert check_picture(horizon, all_over).plausibility == 1.0
    bands = all_over[0].model_copy(update={"orientation_spread": 0.2})
    judged = check_picture(bands, all_over)
    assert not judged.passed and judged.shortfall is Shortfall.ONE_WAY
    # a set of striped pictures admits the next striped one
    striped = [r.model_copy(update={"orientation_spread": 0.25}) for r in all_over]
    assert check_picture(bands, striped).plausibility == 1.0


@pytest.mark.parametrize("set_name", on_sets(SHARED_SETS, fast="expressionist-vivid-color"))
def test_the_painters_picture_of_a_bare_scene_is_not_called_one_way(set_name):
    """An intent it has no motif for leaves the painter's background: sky, a horizon, ground.
    Against the expressionist set as uploaded (whose references all turn every way) it was
    called bands."""
    profile = extracted(load_set(set_name, as_uploaded=True))
    prompt = initial_prompt("a cat sleeping on a veranda", profile)
    picture = OfflineGenerator().generate(
        prompt, inputs=GenerationInputs(style=style_target(profile))
    )
    judged = OfflineCritic().judge(picture.data, profile)
    assert judged.picture is not None
    assert judged.picture.shortfall is not Shortfall.ONE_WAY, judged.image.picture


def test_noise_no_one_can_see_does_not_move_the_verdict():
    """A render's flat areas are exactly flat; a scan's or a photograph's carry faint noise.
    Below one L* unit between neighbours a surface reads as flat either way: the ink set's
    clean harbour (no grain, no brushwork, as the loop's revision paints it) fell from 7.6 to 5.9
    under noise of one level in 255."""
    profile = extracted(load_set("monochrome-ink-and-etching", as_uploaded=True))
    prompt = initial_prompt("a harbour at dusk", profile) + (
        " Adjustments: contrast +1, style -1, grain -1, brushwork -3, lightness -2, saturation -1,"
        " straightness +3."
    )
    clean = OfflineGenerator().render(prompt, style=style_target(profile))
    pixels = np.asarray(clean, dtype=np.int16)
    faint = np.random.default_rng(0).integers(-1, 2, pixels.shape)
    noisy = Image.fromarray(np.clip(pixels + faint, 0, 255).astype(np.uint8))
    critic = OfflineCritic()
    before, after = critic.judge(clean, profile), critic.judge(noisy, profile)
    assert abs(after.overall - before.overall) < 0.5, (before.overall, after.overall)
    assert abs(after.scores["texture_feel"] - before.scores["texture_feel"]) < 0.5


def test_a_picture_under_heavy_grain_is_not_called_noise(profile):
    """Film grain hides edges at the finest scale only; the picture under it is read coarser."""
    prompt = initial_prompt("a harbour at dusk", profile) + "\nAdjustments: softness +8, grain +8"
    picture = OfflineGenerator().generate(
        prompt, seed=1, inputs=GenerationInputs(style=style_target(profile))
    )
    stats = OfflineCritic().judge(picture.data, profile).image.picture
    assert stats.sparseness >= 1.0 and "noise" not in (
        OfflineCritic().judge(picture.data, profile).picture.problem or ""
    )


def test_a_non_picture_is_named_as_such(van_gogh, profile):
    judged = OfflineCritic().critique(
        _non_pictures(van_gogh)["uniform noise"], "p", Brief(profile, "x")
    )
    assert judged.evidence and "plausible" in judged.evidence
    assert OfflineCritic().judge(_non_pictures(van_gogh)["uniform noise"], profile).picture.problem


def test_the_reasoning_says_first_that_a_non_picture_is_none(van_gogh, profile):
    """A flat field, bands or noise: the sentence names that before any dimension's detail."""
    for label in ("flat grey", "bands", "uniform noise"):
        image = _non_pictures(van_gogh)[label]
        said = OfflineCritic().critique(image, "p", Brief(profile, "x")).result.reasoning
        assert said.startswith("As a picture, it"), (label, said)
        assert "the next one paints" in said


def test_another_taste_stays_below_the_gate():
    etchings = extracted(load_set("monochrome-ink-and-etching"))
    vivid = load_set("expressionist-vivid-color")
    assert all(_score(image, etchings) < DEFAULT_GATE_LOW for image in vivid)


def test_a_critique_scores_what_the_judgement_measures(van_gogh):
    """The critique decodes a picture once for both verdicts; an uploaded JPEG is measured as
    the judgement measures it (in draft mode at the critique's size)."""
    held_out = extracted(van_gogh[:3])
    critique = OfflineCritic().critique(van_gogh[3], "p", Brief(held_out, "x")).result
    assert critique.score == OfflineCritic().judge(van_gogh[3], held_out).overall


def test_a_held_out_member_passes_or_comes_close(van_gogh):
    held_out = extracted(van_gogh[:3])
    assert _score(van_gogh[3], held_out) >= DEFAULT_GATE_LOW


def test_the_style_network_cannot_carry_a_verdict_alone(van_gogh, profile):
    """The score is never above what independent measures say, whatever the network likes."""
    critic = OfflineCritic()
    images = [*load_set("geometric-abstraction"), *van_gogh[:2]]
    for image in images:
        judged = critic.judge(image, profile)
        assert judged.by_network is not None
        assert judged.overall <= judged.independent + 1e-9
        assert judged.overall <= judged.by_network + 1e-9


def test_mark_making_alone_cannot_carry_a_picture_far_off_in_colour_and_mood():
    """The breakdown of a style's texture with no layout, judged against a taste the critic
    never saw: its marks are the set's, its colour and mood are not. The weighted average put it
    at the gate (6.5); every dimension has to be near for the verdict to be."""
    texture = {
        "palette_tendency": 0.9,
        "compositional_style": 8.5,
        "emotional_register": 0.0,
        "texture_feel": 10.0,
        "avoid_list": 10.0,
    }
    assert sum(WEIGHTS[d] * texture[d] for d in WEIGHTS) >= DEFAULT_GATE_LOW
    assert combined(texture) < DEFAULT_GATE_LOW
    # a held-out member whose colour strays from the rest of its set, near on the rest
    member = texture | {"palette_tendency": 2.0, "emotional_register": 8.3, "texture_feel": 9.3}
    assert combined(member) >= DEFAULT_GATE_LOW
    assert combined(dict.fromkeys(WEIGHTS, 9.0)) == pytest.approx(9.0)
    # the gap named is the one costing the combined score most: a colour far off before a
    # middling, heavier mark-making (the average named the mark-making)
    middling = texture | {"emotional_register": 8.0, "texture_feel": 4.0}
    assert costliest(middling, WEIGHTS) == "palette_tendency"


def _generated(profile, intent: str) -> tuple[GeneratedImage, str]:
    prompt = initial_prompt(intent, profile)
    inputs = GenerationInputs(style=style_target(profile))
    return OfflineGenerator(size=512).generate(prompt, inputs=inputs), prompt


def test_the_subject_is_judged_from_what_the_generator_drew(profile):
    picture, prompt = _generated(profile, "a harbour at dusk")
    own = OfflineCritic().critique(picture, prompt, Brief(profile, "a harbour at dusk")).result
    assert own.subject is not None and own.subject.present
    assert own.subject.shown_parts == ["harbour", "dusk"]


def test_a_swapped_intent_fails_the_subject_verdict(profile):
    """A picture painted for a harbour, judged as a portrait: the portrait's motif is not in
    it, so the subject fails, whatever the taste score."""
    picture, prompt = _generated(profile, "a harbour at dusk")
    swapped = (
        OfflineCritic()
        .critique(picture, prompt, Brief(profile, "a portrait of an old fisherman"))
        .result
    )
    assert swapped.subject is not None and not swapped.subject.present
    assert {"portrait", "fisherman"} <= set(swapped.subject.missing_parts)
    assert verdict(swapped, LoopSettings()) is not Verdict.CONVERGED


def test_a_motif_washed_out_by_the_painting_does_not_count(profile):
    """The sketch says a figure was drawn; the picture is the style's texture with no layout:
    its edges do not follow the figure, so the figure is not shown."""
    picture, prompt = _generated(profile, "a portrait of a fisherman")
    texture = Image.open(io.BytesIO(picture.data)).filter(ImageFilter.GaussianBlur(40))
    noise = np.random.default_rng(3).normal(0, 25, (512, 512, 3))
    washed = np.clip(np.asarray(texture, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    fake = GeneratedImage(_png(Image.fromarray(washed)), sketch=picture.sketch)
    judged = OfflineCritic().critique(fake, prompt, Brief(profile, "a portrait of a fisherman"))
    assert judged.result.subject.missing_parts == ["portrait", "fisherman"]
    assert judged.result.reasoning.startswith("The picture does not show portrait, fisherman")


def test_a_word_it_cannot_draw_is_never_shown(profile):
    assert [p.word for p in what_it_can_draw("a cat sleeping in the rain")[1]] == [
        "cat",
        "sleeping",
    ]
    picture, prompt = _generated(profile, "a cat sleeping in the rain")
    judged = OfflineCritic().critique(picture, prompt, Brief(profile, "a cat sleeping in the rain"))
    subject = judged.result.subject
    assert subject.undrawable_parts == ["cat", "sleeping"] and not subject.present
    assert "rain" in subject.shown_parts
    # the biggest gap there is, named before anything of the taste (it used to name the colour)
    assert judged.result.reasoning.startswith(
        "The picture cannot show cat, sleeping: the sketch engine has no motif for them"
    )
    # however high the taste score, it cannot converge: the person decides at the gate
    high = judged.result.model_copy(update={"score": 9.9})
    assert verdict(high, LoopSettings()) is Verdict.GATE


def test_a_mood_word_is_painted_as_a_quality_not_looked_for_as_a_thing(profile):
    """ "A quiet harbour": the generator reads "quiet" as calm (a quality of the whole picture);
    the subject is the harbour, so the run can converge once the harbour shows."""
    drawable, undrawable, qualities = what_it_can_draw("a quiet harbour")
    assert [p.word for p in qualities] == ["quiet"] and not undrawable
    assert [p.word for p in drawable] == ["harbour"]
    picture, prompt = _generated(profile, "a quiet harbour")
    judged = OfflineCritic().critique(picture, prompt, Brief(profile, "a quiet harbour"))
    assert [p.part for p in judged.result.subject.parts] == ["harbour"]


def test_without_its_sketch_the_offline_critic_does_not_claim_a_subject(profile, van_gogh):
    judged = OfflineCritic().critique(van_gogh[0], "p", Brief(profile, "a starry night"))
    assert judged.result.subject.unchecked_parts and not judged.result.subject.present


def _critique(score: float, *parts: SubjectPart) -> CritiqueResult:
    return CritiqueResult(
        score=score,
        breakdown=dict.fromkeys(
            (
                "palette_tendency",
                "compositional_style",
                "emotional_register",
                "texture_feel",
                "avoid_list",
            ),
            score,
        ),
        reasoning="r",
        revised_prompt="p",
        subject=SubjectVerdict(parts=list(parts)) if parts else None,
    )


@pytest.mark.parametrize(
    ("critique", "expected"),
    [
        (_critique(9.0, SubjectPart(part="boat", shown=True)), Verdict.CONVERGED),
        (_critique(9.0, SubjectPart(part="boat", shown=False)), Verdict.REVISE),  # can be drawn
        (_critique(9.0, SubjectPart(part="cat", shown=False, can_draw=False)), Verdict.GATE),
        (_critique(9.0), Verdict.GATE),  # nobody looked at the subject: a person decides
        (_critique(7.0, SubjectPart(part="boat", shown=True)), Verdict.GATE),
        (_critique(7.0, SubjectPart(part="boat", shown=False)), Verdict.REVISE),
        (_critique(3.0, SubjectPart(part="boat", shown=True)), Verdict.REVISE),
    ],
)
def test_converged_needs_the_taste_and_the_subject(critique, expected):
    assert verdict(critique, LoopSettings()) is expected


def test_a_washed_out_motif_is_revised_back_into_the_picture():
    """The ink set's harbour waves washed out by the painting: the revision lowers the style and
    raises contrast, and never takes marks away (less detail, more blur), which used to wash the
    waves out further at every iteration, so the run never showed its harbour."""
    from tasteloop.domain.run_settings import LoopSettings
    from tasteloop.images import reencode_upload
    from tasteloop.loop import LoopState, run_loop
    from tasteloop.offline.engine import offline_engine
    from tasteloop.offline.layout_spec import parse_adjustments
    from tests.support.refsets import set_dir

    files = sorted(set_dir("monochrome-ink-and-etching").glob("*.jpg"))[:3]
    references = tuple(reencode_upload(f.read_bytes())[0] for f in files)
    engine = offline_engine()
    profile = engine.extractor.extract(list(references)).profile
    intent = "a quiet harbour"
    result = run_loop(
        intent,
        profile,
        engine.generator,
        engine.critic,
        LoopSettings(4, 1.0, 0.5),
        state=LoopState(0, initial_prompt(intent, profile)),
        references=references,
    )
    subjects = [it.critique.subject for it in result.iterations]
    assert not subjects[0].present  # the first picture lost its waves
    assert result.converged and subjects[-1].present
    for record in result.iterations[1:]:
        adjustments = parse_adjustments(record.prompt)
        assert adjustments.get("detail", 0) >= 0 and adjustments.get("softness", 0) <= 0


def _offline_run(intent: str, profile, prompt: str, references=()):
    """Five iterations of the offline loop from `prompt`, the gate always continuing."""
    from tasteloop.loop import LoopState, run_loop

    return run_loop(
        intent,
        profile,
        OfflineGenerator(),
        OfflineCritic(),
        LoopSettings(max_iterations=5),
        state=LoopState(0, prompt),
        references=tuple(references),
    )


def test_a_picture_that_passes_as_a_picture_is_not_called_a_texture(profile):
    """A converged cubist street (9.63) was described "as a picture, a texture, with no layout
    under it": a check that cost it 3 % was said in the words of one that fails it."""
    from dataclasses import replace

    from tasteloop.offline.critic.advice import reasoning

    leaning = PictureCheck(0.9, Shortfall.NO_LAYOUT, SHORT_REACH_WORDS)
    failing = PictureCheck(0.3, Shortfall.NO_LAYOUT, SHORT_REACH_WORDS)
    assert failing.said == SHORT_REACH_WORDS and "texture" not in leaning.said
    picture, _ = _generated(profile, "a harbour at dusk")
    judgement = OfflineCritic().judge(picture.data, profile)
    high = {d: 9.9 for d in judgement.scores}
    for check in (leaning, failing):
        said = reasoning(replace(judgement, scores=high, overall=9.0, picture=check), profile)
        assert said.startswith(f"As a picture, {check.said};"), said


def test_a_picture_that_matches_in_every_dimension_is_not_repainted_in_its_taste():
    """The expressionist set's run of an intent it cannot draw: its first picture passed every
    dimension (9.82), and the revisions chased gaps smaller than the references' own variety;
    straightness -2 made the next picture a texture (7.16). The taste now stays as it is, and
    the prompt painted again gets new seeds: another arrangement, not the same picture."""
    from tasteloop.offline.critic.scoring import PASS_SCORE
    from tasteloop.offline.layout_spec import parse_adjustments

    profile = extracted(load_set("expressionist-vivid-color", as_uploaded=True))
    intent = "a cat sleeping on a veranda"
    result = _offline_run(intent, profile, initial_prompt(intent, profile))
    kept = 0
    for before, after in zip(result.iterations, result.iterations[1:], strict=False):
        if min(before.critique.breakdown.values()) >= PASS_SCORE:
            assert parse_adjustments(after.prompt) == parse_adjustments(before.prompt)
            kept += 1
    assert kept
    scores = [iteration.score for iteration in result.iterations]
    assert min(scores) >= DEFAULT_GATE_LOW, scores
    assert len({iteration.image for iteration in result.iterations}) == len(scores)


def test_a_picture_called_the_same_everywhere_is_revised_towards_straighter_lines():
    """In the expressionist set a revision towards curved movement made the painter's swirls
    turn every way in every part; the layout's remedy (contrast, less style) left it a texture
    (1.2 after three tries). Its own remedy asks for straighter lines and less of the style. The
    run starts from a prompt that asks for curved movement, which paints such a texture."""
    from tasteloop.offline.layout_spec import parse_adjustments

    profile = extracted(load_set("expressionist-vivid-color"))
    intent = "a lighthouse on a rocky shore at dusk"
    prompt = f"{initial_prompt(intent, profile)}\nAdjustments: straightness -2"
    result = _offline_run(intent, profile, prompt)
    called = [
        k
        for k, iteration in enumerate(result.iterations[:-1])
        if f"As a picture, {SAME_EVERYWHERE_WORDS}" in iteration.critique.reasoning
    ]
    assert called
    for k in called:
        before = parse_adjustments(result.iterations[k].prompt)
        after = parse_adjustments(result.iterations[k + 1].prompt)
        assert after.get("straightness", 0) > before.get("straightness", 0)
        assert after.get("style", 0) < before.get("style", 0)
        assert result.iterations[k + 1].score >= DEFAULT_GATE_LOW


def test_a_picture_painted_too_straight_to_have_parts_is_stepped_back_towards_the_middle():
    """The ink set's run of an undrawable cat from a dark start: its revisions took detail and
    straightness to 8, and the painter's hatching ran the same ways all over (1.22). The remedy
    asked for straighter lines, which could go no further, and less of the style, which made it
    worse (0.44). Far out on either side of the middle the painter's marks run the same ways
    everywhere, so a picture painted straighter than the middle is stepped back towards it."""
    from tasteloop.offline.layout_spec import parse_adjustments, set_adjustments

    profile = extracted(load_set("monochrome-ink-and-etching"))
    intent = "a cat sleeping on a veranda"
    painted = {"lightness": -8, "detail": 8, "grain": 1, "brushwork": 2, "contrast": -4}
    painted |= {"saturation": 3, "straightness": 8}
    prompt = set_adjustments(initial_prompt(intent, profile), painted)
    inputs = GenerationInputs(style=style_target(profile))
    critic, generator = OfflineCritic(), OfflineGenerator()
    judged = critic.critique(
        generator.generate(prompt, inputs=inputs), prompt, Brief(profile, intent)
    )
    assert judged.result.score < DEFAULT_GATE_LOW
    assert "fewer of the same straight lines everywhere" in judged.result.reasoning
    revised = judged.result.revised_prompt
    assert 6 <= parse_adjustments(revised)["straightness"] < 8
    again = critic.critique(
        generator.generate(revised, inputs=inputs), revised, Brief(profile, intent)
    )
    assert again.result.score >= DEFAULT_GATE_LOW, again.result.score


def test_a_picture_short_of_large_forms_is_told_so_and_revised_toward_them():
    """When the picture's shortfall as a picture costs the score more than any dimension, the
    reasoning names it (not a colour detail) and the revision paints its remedy: the expressionist
    set's moonlit garden scored 5.5 with every dimension at 9 or more, was told to make its colour
    lighter and crisper, and sank to 2.5 over five iterations. The run starts from a prompt that
    asks for more marks and more of the style, which paints the garden as an even texture."""
    from tasteloop.offline.layout_spec import parse_adjustments
    from tests.support.refsets import load_sets

    references = load_sets(as_uploaded=True)["expressionist-vivid-color"]
    profile = extracted(references)
    intent = "flowers in a garden under the moon"
    even = f"{initial_prompt(intent, profile)}\nAdjustments: detail +4, style +2"
    result = _offline_run(intent, profile, even, references)
    first, *later = result.iterations
    assert first.critique.reasoning.startswith("As a picture, it has too few large forms")
    assert min(first.critique.breakdown.values()) >= 9.0 > first.critique.score
    revised = parse_adjustments(later[0].prompt)
    assert revised.get("style", 0) < 2 and 0 < revised.get("contrast", 0)
    assert revised.get("detail", 0) <= 4  # more marks would even the picture out further
    assert result.iterations[-1].critique.score > first.critique.score


def test_the_remedy_never_moves_what_the_person_set():
    """A person who asked for gentler contrast at the gate is never told the next picture gets
    stronger contrast: the remedy says and paints only what they left open."""
    from tasteloop.offline.layout_spec import parse_adjustments
    from tests.support.refsets import load_sets

    references = load_sets(as_uploaded=True)["expressionist-vivid-color"]
    profile = extracted(references)
    intent = "flowers in a garden under the moon"
    # more marks and more of the style: the garden painted as an even texture
    prompt = f"{initial_prompt(intent, profile)}\nAdjustments: detail +4, style +2"
    picture = OfflineGenerator().generate(
        prompt, inputs=GenerationInputs(style=style_target(profile))
    )
    critic = OfflineCritic()
    free = critic.critique(picture, prompt, Brief(profile, intent)).result
    assert "stronger contrast" in free.reasoning
    set_by_person = f"{prompt}, contrast -1!"
    held = critic.critique(picture, set_by_person, Brief(profile, intent)).result
    assert held.reasoning.startswith("As a picture") and "contrast" not in held.reasoning
    assert parse_adjustments(held.revised_prompt)["contrast"] == -1
    assert parse_adjustments(held.revised_prompt)["style"] < 2


def test_the_critique_never_asks_for_a_change_already_taken_as_far_as_it_goes():
    """A run of a subject it cannot draw used to ask for 'crisper edges' iteration after
    iteration with softness already at its limit, so nothing changed (and the sentence blamed
    the colour). The same picture is judged twice: painted from its own prompt, whose critique
    asks for a quality, and said to be painted with that quality already at its limit."""
    from tasteloop.offline.critic.advice import MAX_ADJUSTMENT
    from tasteloop.offline.layout_spec import parse_adjustments
    from tasteloop.offline.qualities import MEASURED

    profile = extracted(load_set("monochrome-ink-and-etching", as_uploaded=True))
    intent = "a city street in the rain"
    picture, prompt = _generated(profile, intent)
    critic = OfflineCritic()
    free = critic.critique(picture, prompt, Brief(profile, intent)).result
    asked = [
        (q, 1 if q.more in free.reasoning else -1)
        for q in MEASURED
        if q.more in free.reasoning or q.less in free.reasoning
    ]
    assert asked, free.reasoning
    quality, way = asked[0]
    limit = way * MAX_ADJUSTMENT
    at_limit = f"{prompt}\nAdjustments: {quality.name} {limit:+g}"
    held = critic.critique(picture, at_limit, Brief(profile, intent)).result
    assert (quality.more if way > 0 else quality.less) not in held.reasoning, held.reasoning
    assert way * parse_adjustments(held.revised_prompt)[quality.name] <= MAX_ADJUSTMENT


def test_every_step_the_critic_writes_changes_the_picture():
    """A quality stops at the end of its range, wherever the prompt's own words start it: the
    ink set's "crisp" starts softness at 0. The critic wrote softness -3, then -6 and -8, and
    asked for "crisper edges" each time while the picture stayed the same."""
    from tasteloop.offline.critic.advice import Room
    from tasteloop.offline.layout_spec import parse_adjustments, parse_prompt
    from tasteloop.offline.qualities import BY_NAME

    profile = extracted(load_set("monochrome-ink-and-etching", as_uploaded=True))
    intent = "a harbour at dusk"
    result = _offline_run(intent, profile, initial_prompt(intent, profile))
    written = at_end = 0
    for iteration in result.iterations:
        prompt, revised = iteration.prompt, iteration.critique.revised_prompt
        before, after = parse_prompt(prompt), parse_prompt(revised)
        painted = parse_adjustments(prompt)
        for name, value in parse_adjustments(revised).items():
            if value != painted.get(name, 0.0):
                written += 1
                setting = BY_NAME[name].setting
                assert getattr(after, setting) != getattr(before, setting), (name, value)
        room = Room.of(prompt)
        for name, value in painted.items():
            if value and not room.can_move(name, value):
                at_end += 1
                quality = BY_NAME[name]
                asked = quality.more if value > 0 else quality.less
                assert asked not in iteration.critique.reasoning, (name, value)
    assert written and at_end  # the run did revise, and took a quality to its end


def test_a_washed_out_motif_gets_the_contrast_it_is_promised(profile, van_gogh):
    """The remedy for a washed-out motif promised 'more contrast' and, with contrast already at
    +6, painted +3: its steps were held to the style's limit of 3. A step a quality can no
    longer take is neither promised nor painted."""
    from tasteloop.offline.critic.advice import MAX_ADJUSTMENT, Room, reasoning, revise_prompt
    from tasteloop.offline.layout_spec import parse_adjustments

    judgement = OfflineCritic().judge(van_gogh[0], profile)
    washed = SubjectVerdict(parts=[SubjectPart(part="rain", shown=False)])
    prompt = "a street in the rain\nAdjustments: contrast +6"
    revised = parse_adjustments(revise_prompt(prompt, judgement, profile, washed))
    assert revised["contrast"] == 7 and revised["style"] == -1
    said = reasoning(judgement, profile, subject=washed, room=Room.of(prompt))
    assert "more contrast" in said
    limited = f"a street in the rain\nAdjustments: contrast +{MAX_ADJUSTMENT}"
    said = reasoning(judgement, profile, subject=washed, room=Room.of(limited))
    assert "does not show rain" in said and "contrast" not in said and "less of the style" in said
    assert parse_adjustments(revise_prompt(limited, judgement, profile, washed))["contrast"] == 8


def test_the_score_curve_is_the_one_the_docs_describe():
    """The docs said 1.5 times the set's own spread reached the gate (6.0) and twice as far scored
    about 3; the curve has always given 4.0 and 0.9 there. The documented anchors are checked."""
    from tasteloop.offline.critic.scoring import PASS_RATIO, ratio_at, ratio_score

    assert abs(ratio_score(1.0) - 9.1) < 0.05
    assert ratio_score(PASS_RATIO) == 8.0
    assert abs(ratio_at(6.0) - 1.33) < 0.005 and abs(ratio_score(ratio_at(6.0)) - 6.0) < 0.01
    assert ratio_score(1.5) == 4.0 and ratio_score(2.0) < 1.0


def test_at_part_strength_a_style_verdict_that_fails_is_the_gap_named(profile):
    """At 70 % style strength the van Gogh harbour, warmed by a gate note, scored 6.07: the style
    network's verdict, relaxed by the strength, was the lower. The advice relaxed the strength
    another way (the style's target divided by it), found the picture within it, and asked for
    crisper edges. The advice now asks for the style exactly when that verdict costs the pass."""
    from dataclasses import replace

    from tasteloop.offline.critic.advice import reasoning, revise_prompt
    from tasteloop.offline.critic.scoring import network_pass_ratio
    from tasteloop.offline.layout_spec import parse_adjustments

    part = profile.model_copy(update={"style": profile.style.model_copy(update={"strength": 0.7})})
    picture, prompt = _generated(part, "a harbour at dusk")
    judgement = OfflineCritic().judge(picture.data, part)
    scores = {**{d: 9.5 for d in judgement.scores}, "palette_tendency": 7.9}
    failing = replace(
        judgement,
        scores=scores,
        ratios={**judgement.ratios, "learned_style": 1.46},
        independent=9.2,
        by_network=6.07,
        overall=6.07,
    )
    assert 1.46 > network_pass_ratio(0.7) and 1.46 < 1.15 / 0.7
    said = reasoning(failing, part)
    assert said.startswith("The surface is not yet painted in your references' manner"), said
    assert parse_adjustments(revise_prompt(prompt, failing, part)).get("style", 0) > 0
    # within what passes at that strength, nothing of the style is asked
    passing = replace(failing, ratios={**failing.ratios, "learned_style": 1.2}, by_network=8.3)
    assert "manner" not in reasoning(passing, part)
