"""How to keep a 1024 px picture crisp when the style network paints at 384 px.

For each shared set, a 1024 px layout of "a harbour at dusk" is painted with the set's learned
style three ways:
- upscaled: one 384 px pass, scaled up (Lanczos);
- tiled: nine overlapping 384 px passes over the full 1024 px layout, feathered together;
- restored (shipped): one 384 px pass, scaled up, with the layout's own fine detail (a high-pass
  of its luma at 2 px) laid back over it.
Figures (medians over the sets): seconds per picture, sharpness (mean |Laplacian| of the grey
image, against the layout's own), and the learned-style gap to the set (1 - cosine, lower is
closer). Tiling also leaves seams where the network's 384 px passes meet; look at the images
`--save DIR` writes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tasteloop.domain.prompts import initial_prompt
from tasteloop.measure.style_network import TRANSFORM_SIDE, cosine, style_network
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator
from tasteloop.offline.generator.paint import paint_in_style
from tests.support.refsets import load_sets

SIDE = TRANSFORM_SIDE


def _image(array: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(array, 0, 1) * 255 + 0.5).astype(np.uint8))


def upscaled(layout: Image.Image, vector: np.ndarray) -> Image.Image:
    small = np.asarray(layout.resize((SIDE, SIDE), Image.Resampling.BILINEAR), np.float32) / 255
    painted = _image(style_network().paint(small, vector))
    return painted.resize(layout.size, Image.Resampling.LANCZOS)


def tiled(layout: Image.Image, vector: np.ndarray, per_side: int = 3) -> Image.Image:
    array = np.asarray(layout, dtype=np.float32) / 255
    size = array.shape[0]
    total = np.zeros_like(array)
    weight = np.zeros(array.shape[:2] + (1,), np.float32)
    ramp = np.minimum(np.minimum(np.arange(SIDE) + 1, np.arange(SIDE)[::-1] + 1) / 48, 1)
    feather = (ramp[:, None] * ramp[None, :])[..., None].astype(np.float32)
    starts = np.linspace(0, size - SIDE, per_side).round().astype(int)
    for y in starts:
        for x in starts:
            painted = style_network().paint(array[y : y + SIDE, x : x + SIDE], vector)
            total[y : y + SIDE, x : x + SIDE] += painted * feather
            weight[y : y + SIDE, x : x + SIDE] += feather
    return _image(total / np.maximum(weight, 1e-6))


def restored(layout: Image.Image, vector: np.ndarray) -> Image.Image:
    return paint_in_style(layout, vector, 1.0)


def sharpness(image: Image.Image) -> float:
    g = np.asarray(image.convert("L"), dtype=np.float32)
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return float(np.abs(lap).mean())


STRATEGIES = {"upscaled": upscaled, "tiled": tiled, "restored": restored}


def measure(save: Path | None = None, repeats: int = 3) -> dict[str, object]:
    network = style_network()
    network.load()
    rows: dict[str, dict[str, list[float]]] = {
        name: {"seconds": [], "sharpness_vs_layout": [], "style_gap": []} for name in STRATEGIES
    }
    for set_name, images in load_sets().items():
        profile = OfflineExtractor().extract(images).profile
        mean = profile.measurements.style.mean
        vector = np.asarray(mean, dtype=np.float32)
        layout = OfflineGenerator(size=1024).render(initial_prompt("a harbour at dusk", profile))
        for name, paint in STRATEGIES.items():
            samples = []
            for _ in range(repeats):
                started = time.perf_counter()
                out = paint(layout, vector)
                samples.append(time.perf_counter() - started)
            rows[name]["seconds"].append(statistics.median(samples))
            rows[name]["sharpness_vs_layout"].append(sharpness(out) / sharpness(layout))
            rows[name]["style_gap"].append(1 - cosine(network.style_vector(out), mean))
            if save is not None:
                save.mkdir(parents=True, exist_ok=True)
                out.save(save / f"{set_name}-{name}.png")
    return {
        name: {metric: round(statistics.median(values), 3) for metric, values in figures.items()}
        for name, figures in rows.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--save", type=Path, default=None, help="write every painting here")
    args = parser.parse_args()
    print(json.dumps(measure(args.save), indent=2))


if __name__ == "__main__":
    main()
