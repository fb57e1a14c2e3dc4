"""A picture's shape: the offered aspects, "as my references", pixels, and clear refusals."""

import pytest

from tasteloop.domain.shape import (
    ASPECTS,
    PictureShape,
    ShapeError,
    nearest_aspect,
    parse_shape,
    references_aspect,
)


def test_every_offered_shape_has_its_ratio_and_a_long_side_of_its_size():
    for aspect in ASPECTS:
        for size, long_side in (("1K", 1024), ("2K", 2048), ("4K", 4096)):
            width, height = PictureShape(aspect, size).pixels()
            assert max(width, height) == long_side and width % 8 == 0 and height % 8 == 0
            w, h = (int(v) for v in aspect.split(":"))
            assert abs(width / height - w / h) < 0.02
    assert PictureShape("16:9").pixels() == (1024, 576)
    assert PictureShape("9:16").pixels() == (576, 1024)
    assert PictureShape("16:9").label == "16:9 landscape · 1K"


def test_as_my_references_is_their_median_ratio_snapped_to_an_offered_one():
    assert references_aspect([(1600, 1200), (1500, 1000), (900, 1200)]) == "4:3"
    assert nearest_aspect(1.0) == "1:1" and nearest_aspect(1.78) == "16:9"
    assert nearest_aspect(0.56) == "9:16" and nearest_aspect(2.4) == "21:9"
    assert references_aspect([(640, 1000), (700, 1000), (650, 1100)]) == "2:3"
    shape = parse_shape("references", "2k", [(3000, 2000), (1800, 1200), (1000, 1000)])
    assert shape == PictureShape("3:2", "2K")


def test_a_shape_or_size_not_offered_is_refused_in_a_sentence():
    with pytest.raises(ShapeError, match="'7:5' is not a shape tasteloop offers; choose one of"):
        parse_shape("7:5", "1K")
    with pytest.raises(ShapeError, match="'8K' is not a size tasteloop offers"):
        parse_shape("1:1", "8K")
    assert parse_shape(None, None) == PictureShape()
