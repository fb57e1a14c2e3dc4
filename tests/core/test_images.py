import base64
import io

import pytest
from PIL import Image

from tasteloop import images
from tasteloop.images import ImageError, decode_image, reencode_upload
from tests.support.images import bomb_png, jpeg_bytes, jpeg_with_gps, png_bytes


def test_decodes_png_and_jpeg_to_rgb():
    assert decode_image(png_bytes()).mode == "RGB"
    assert decode_image(jpeg_bytes()).size == (64, 48)


def test_empty_file():
    with pytest.raises(ImageError, match=r"cat.png: the file is empty \(0 bytes\)"):
        decode_image(b"", name="cat.png")


def test_not_an_image():
    with pytest.raises(ImageError, match="not an image"):
        decode_image(b"<html><script>alert(1)</script></html>", name="evil.png")


def test_truncated_jpeg():
    data = jpeg_bytes(size=(400, 300))
    with pytest.raises(ImageError, match="truncated or corrupt"):
        decode_image(data[: len(data) // 2])


def test_over_byte_cap():
    with pytest.raises(ImageError, match="limit is"):
        decode_image(png_bytes(), max_bytes=10)


def test_decompression_bomb_is_rejected_before_decoding():
    data = bomb_png()
    assert len(data) < 200_000
    with pytest.raises(ImageError, match="megapixels"):
        decode_image(data)


def test_pixel_cap_is_configurable():
    with pytest.raises(ImageError, match="megapixels"):
        decode_image(png_bytes(size=(100, 100)), max_pixels=5_000)


def test_resize_keeps_aspect_and_never_enlarges():
    big = Image.new("RGB", (3000, 1500))
    small = images.resize_max_side(big, 1024)
    assert small.size == (1024, 512)
    tiny = Image.new("RGB", (300, 200))
    assert images.resize_max_side(tiny, 1024).size == (300, 200)


def test_reencode_strips_metadata():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif()
    clean, width, height = reencode_upload(original)
    reopened = Image.open(io.BytesIO(clean))
    assert (width, height) == (120, 80)
    assert not reopened.getexif()
    assert b"SpyCam" not in clean


def test_transparent_png_is_flattened_on_white():
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(out, "PNG")
    assert decode_image(out.getvalue()).getpixel((5, 5)) == (255, 255, 255)


def test_data_url_for_model_is_resized_jpeg():
    data = png_bytes(size=(2000, 1000))
    url = data_url = images.data_url_for_model(data, 512)
    assert url.startswith("data:image/jpeg;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    assert max(decoded.size) == 512


def test_sniff_mime():
    assert images.sniff_mime(png_bytes()) == "image/png"
    assert images.sniff_mime(jpeg_bytes()) == "image/jpeg"
    assert images.sniff_mime(b"hello") == "application/octet-stream"
