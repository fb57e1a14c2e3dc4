"""The picture's shape goes to each image endpoint in that endpoint's own field, over real HTTP,
and the picture that comes back has it."""

import io

import pytest
from PIL import Image

from tasteloop.domain.engine import GenerationInputs
from tasteloop.domain.shape import PictureShape
from tasteloop.engines import shape_problem
from tasteloop.gateway.engine import gateway_engine
from tasteloop.gateway.generator import images_api_size
from tests.support.gateway_server import FakeGateway, settings_for


@pytest.fixture
def gateway():
    server = FakeGateway(render_size=256).start()
    yield server
    server.stop()


def _generate(gateway, shape, **settings):
    engine = gateway_engine(settings_for(gateway, **settings))
    image = engine.generator.generate("a harbour at dusk", inputs=GenerationInputs(shape=shape))
    return gateway.calls("generate")[-1], Image.open(io.BytesIO(image.data)).size


def test_chat_completions_send_image_config(gateway):
    call, size = _generate(gateway, PictureShape("16:9", "2K"))
    assert call.body["image_config"] == {"aspect_ratio": "16:9", "image_size": "2K"}
    assert call.body["modalities"] == ["image", "text"]
    assert size == (256, 144)
    call, size = _generate(gateway, PictureShape("9:16"))
    assert call.body["image_config"] == {"aspect_ratio": "9:16", "image_size": "1K"}
    assert size == (144, 256)


def test_a_square_picture_is_asked_for_too_so_references_do_not_choose_the_shape(gateway):
    call, size = _generate(gateway, PictureShape())
    assert call.body["image_config"]["aspect_ratio"] == "1:1" and size == (256, 256)


def test_openrouter_images_send_aspect_ratio_and_resolution(gateway):
    call, size = _generate(
        gateway,
        PictureShape("3:2", "4K"),
        image_endpoint="openrouter",
        image_model="bytedance/seedream-4",
    )
    assert call.path == "/v1/images"
    assert (call.body["aspect_ratio"], call.body["resolution"]) == ("3:2", "4K")
    assert size == (256, 168)


def test_the_images_api_gets_the_nearest_size_it_takes(gateway):
    call, size = _generate(gateway, PictureShape("16:9"), image_endpoint="images")
    assert call.path.endswith("/images/generations") and call.body["size"] == "1536x1024"
    assert size == (256, 168)  # the model's own 3:2, the nearest it paints
    assert images_api_size(PictureShape("2:3")) == "1024x1536"
    assert images_api_size(PictureShape("1:1")) == "1024x1024"
    assert images_api_size(PictureShape("21:9")) == "1536x1024"


def test_the_images_api_refuses_2k_before_anything_is_sent(gateway):
    settings = settings_for(gateway, image_endpoint="images")
    problem = shape_problem(settings, PictureShape("1:1", "2K"))
    assert problem and "2K is not available" in problem and "choose 1K" in problem
    assert shape_problem(settings, PictureShape("16:9", "1K")) is None
    assert shape_problem(settings_for(gateway), PictureShape("16:9", "4K")) is None
    assert gateway.calls("generate") == []
