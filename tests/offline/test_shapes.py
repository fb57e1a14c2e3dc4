"""The sketch engine paints at the picture's shape (#30): its layouts still read at 16:9 and 9:16,
its critic judges the whole picture at that shape, and a square picture is what it always was."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tasteloop.domain.engine import Brief, GenerationInputs
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.shape import PictureShape
from tasteloop.domain.style import style_target
from tasteloop.measure.style_network import style_network
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.generator import OfflineGenerator
from tests.support.profiles import extracted
from tests.support.refsets import load_set

INTENTS = ("a harbour at dusk", "a portrait of a fisherman", "a city street in the rain")


@pytest.fixture(scope="module")
def profile():
    return extracted(load_set("expressionist-vivid-color"))


@pytest.mark.parametrize("aspect", ["16:9", "9:16"])
def test_layouts_read_at_wide_and_tall_shapes(profile, aspect):
    generator, critic = OfflineGenerator(), OfflineCritic()
    inputs = GenerationInputs(style=style_target(profile), shape=PictureShape(aspect))
    for intent in INTENTS:
        prompt = initial_prompt(intent, profile)
        picture = generator.generate(prompt, inputs=inputs)
        size = Image.open(io.BytesIO(picture.data)).size
        assert size == PictureShape(aspect).pixels()
        sketch = Image.open(io.BytesIO(picture.sketch.layout)).size
        assert abs(sketch[0] / sketch[1] - size[0] / size[1]) < 0.02  # the sketch at the shape
        judged = critic.critique(picture, prompt, Brief(profile, intent)).result
        assert judged.subject is not None and judged.subject.present, (intent, judged.subject)


def test_a_square_picture_is_the_same_layout_as_before_shapes(profile):
    """Square is the default: the same prompt and seed give the same picture either way."""
    generator = OfflineGenerator(size=384)
    prompt = initial_prompt("a harbour at dusk", profile)
    square = generator.render_png(prompt, seed=3, shape=PictureShape("1:1"))
    assert square == generator.render_png(prompt, seed=3)
    wide = generator.render(prompt, seed=3, shape=PictureShape("16:9"))
    assert wide.size == (384, 216)


def test_the_style_of_a_wide_picture_is_read_across_its_whole_width():
    """It used to be read from the centred square alone: the sides did not count. (At 510 px
    wide the picture is read at its own scale, so its squares are the parts below.)"""
    left, right = (
        Image.open(io.BytesIO(data)).convert("RGB").resize((170, 170))
        for data in (
            load_set("van-gogh-swirling-landscapes")[0],
            load_set("geometric-abstraction")[0],
        )
    )
    middle = Image.open(io.BytesIO(load_set("monochrome-ink-and-etching")[0])).convert("RGB")
    wide = Image.new("RGB", (510, 170))
    wide.paste(left, (0, 0))
    wide.paste(middle.resize((170, 170)), (170, 0))
    wide.paste(right, (340, 0))
    network = style_network()
    whole = network.style_vector(wide)
    parts = [network.style_vector(wide.crop((x, 0, x + 170, 170))) for x in (0, 170, 340)]
    assert np.allclose(whole, np.mean(parts, axis=0), atol=1e-4)
    centre_only = parts[1]
    assert np.linalg.norm(whole - centre_only) > 0.1 * np.linalg.norm(centre_only)
