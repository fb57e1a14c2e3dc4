"""The hubness correction: closeness that paintings in general share earns less credit."""

import json

import numpy as np
import pytest

from tasteloop.domain.profile import StyleControls
from tasteloop.measure.generic_style import (
    DATA_FILE,
    derive,
    generic_closeness,
    generic_direction,
    lean_from_generic,
)
from tasteloop.measure.learned_style import (
    GENERIC_PENALTY,
    distinctive_style_gap,
    measure_candidate,
    style_distance,
)
from tasteloop.measure.style_network import MODEL_SHA256, cosine
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.critic.scoring import reference_styles
from tasteloop.offline.extractor import OfflineExtractor
from tests.support.refsets import load_set


@pytest.mark.slow
def test_the_shipped_direction_is_what_the_installed_wheel_derives():
    shipped = json.loads(DATA_FILE.read_text())
    assert shipped["predictor_sha256"] == MODEL_SHA256["arbitrary_predict.onnx"]
    fresh = np.asarray(derive())
    assert fresh.shape == generic_direction().shape == (100,)
    assert cosine(fresh, generic_direction()) > 0.999
    assert np.max(np.abs(fresh - generic_direction())) < 5e-3


def test_paintings_sit_near_the_generic_direction_and_a_random_vector_does_not():
    painting = measure_candidate(load_set("van-gogh-swirling-landscapes")[0]).style
    assert 0.7 < generic_closeness(painting) < 1.0
    noise = np.random.default_rng(0).normal(size=100)
    assert abs(generic_closeness(noise)) < 0.5


def _unit(v: np.ndarray) -> list[float]:
    return list(v / np.linalg.norm(v))


def _along(side_amount: float, side: np.ndarray) -> list[float]:
    g = generic_direction() / np.linalg.norm(generic_direction())
    return _unit(g + side_amount * side)


@pytest.fixture
def side() -> np.ndarray:
    """A direction away from what paintings in general share."""
    g = generic_direction() / np.linalg.norm(generic_direction())
    side = np.random.default_rng(1).normal(size=100)
    side -= (side @ g) * g
    return side / np.linalg.norm(side)


def test_only_genericness_outside_the_references_range_moves_the_gap(side):
    refs = [(_along(1.0, side), 1.0), (_along(1.4, side), 1.0)]
    own = sorted(generic_closeness(v) for v, _ in refs)
    target = _along(1.2, side)
    inside = _along(1.1, side)
    assert own[0] < generic_closeness(inside) < own[1]
    assert distinctive_style_gap(inside, target, refs) == pytest.approx(
        style_distance(inside, target)
    )
    generic = _along(0.6, side)  # nearer paintings in general than either reference
    distinctive = _along(2.0, side)  # further from them than either
    for image, edge, direction in ((generic, own[1], 1), (distinctive, own[0], -1)):
        plain = style_distance(image, target)
        corrected = distinctive_style_gap(image, target, refs)
        assert (corrected - plain) * direction > 0
        expected = max(0.0, plain + GENERIC_PENALTY * (generic_closeness(image) - edge))
        assert corrected == pytest.approx(expected)


def test_the_painter_leans_away_from_the_generic_direction(side):
    vector = np.asarray(_along(1.0, side), dtype=np.float32)
    leaned = lean_from_generic(vector, 0.25)
    assert generic_closeness(leaned) < generic_closeness(vector)
    assert cosine(leaned, vector) > 0.95
    assert np.allclose(lean_from_generic(vector, 0.0), vector)


def test_references_weighted_0_or_without_vectors():
    g = list(generic_direction())
    image, target = _unit(np.asarray(g) + 0.3), _unit(np.asarray(g) + 0.5)
    ref = _unit(np.asarray(g) + 0.4)
    other = _unit(np.random.default_rng(2).normal(size=100))
    with_zero = distinctive_style_gap(image, target, [(ref, 1.0), (other, 0.0)])
    assert with_zero == distinctive_style_gap(image, target, [(ref, 1.0)])
    # a profile from before the vectors: the plain gap
    assert distinctive_style_gap(image, target, [(ref, 1.0), (None, 1.0)]) == style_distance(
        image, target
    )
    assert distinctive_style_gap(None, target, [(ref, 1.0)]) is None


def test_the_critic_applies_the_correction_with_the_persons_weights():
    """Three van Goghs and an etching: a grid painting is less generic than the van Goghs but
    not than the etching, so only with the etching weighted 0 is it outside their range."""
    refs = load_set("van-gogh-swirling-landscapes")[:3] + load_set("monochrome-ink-and-etching")[:1]
    profile = OfflineExtractor().extract(refs).profile
    candidate = measure_candidate(load_set("geometric-abstraction")[2])
    own = [generic_closeness(r.style) for r in profile.measurements.references]
    assert min(own) < generic_closeness(candidate.style) < min(own[:3])
    critic = OfflineCritic()
    mean = profile.measurements.style.mean
    assert critic.judge_measured(candidate, profile).style_gap == pytest.approx(
        style_distance(candidate.style, mean)
    )
    chosen = profile.with_style(StyleControls(weights=[1, 1, 1, 0]))
    chosen_mean = chosen.measurements.style.mean
    judged = critic.judge_measured(candidate, chosen).style_gap
    assert judged == pytest.approx(
        distinctive_style_gap(candidate.style, chosen_mean, reference_styles(chosen))
    )
    assert judged < style_distance(candidate.style, chosen_mean)
