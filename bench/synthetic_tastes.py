"""Tastes the critic has never seen: the 26 styles built into the style network's wheel, each
painted over four different paintings of the shared sets (a set per style: one manner, four
different layouts and subjects).

Nothing in the critic was chosen on these. For each set: every member judged against a profile
of the other three (should pass 8.0, or at least reach the gate), every member of four other
sets judged against it (should stay below the gate), and two pictures with no layout (should
stay below the gate): the style network's texture over a flat field in the set's colours, and
the offline generator's own style pass over an empty layout.

The built-in styles are themselves a network's, so these sets are uniform in a way paintings
are not; they test what carries over to new tastes, not how real art is judged.
`python -m bench.synthetic_tastes` (about 3 minutes).
"""

from __future__ import annotations

import json
import statistics

import numpy as np
from PIL import Image

from tasteloop.domain.run_settings import DEFAULT_GATE_LOW, DEFAULT_THRESHOLD
from tasteloop.images import decode_image, encode
from tasteloop.measure.generic_style import BUILT_IN_STYLES, built_in_painter
from tasteloop.measure.style_network import TRANSFORM_SIDE, style_network
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator.paint import paint_in_style
from tests.support.refsets import load_sets

SIDE = 512
OTHER_SETS = 4


def synthetic_sets() -> dict[int, list[bytes]]:
    paint = built_in_painter()
    contents = [r for refs in load_sets(as_uploaded=True).values() for r in refs]
    rng = np.random.default_rng(5)
    sets: dict[int, list[bytes]] = {}
    for style in range(BUILT_IN_STYLES):
        painted = []
        for index in rng.choice(len(contents), 4, replace=False):
            image = decode_image(contents[index], max_side=SIDE)
            width, height = image.width // 4 * 4, image.height // 4 * 4
            out = paint(image.crop((0, 0, width, height)), style)
            painted.append(encode(Image.fromarray((out * 255).astype(np.uint8)), "JPEG"))
        sets[style] = painted
    return sets


def no_layout(references: list[bytes], vector: np.ndarray, seed: int) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    pixels = np.concatenate(
        [np.asarray(decode_image(r, max_side=64)).reshape(-1, 3) for r in references]
    )
    mean = pixels.mean(axis=0)
    flat = np.full((TRANSFORM_SIDE, TRANSFORM_SIDE, 3), mean / 255.0)
    flat = np.clip(flat + rng.normal(0, 0.02, flat.shape), 0, 1).astype(np.float32)
    texture = np.clip(style_network().paint(flat, vector), 0, 1) * 255
    layout = np.clip(mean + rng.normal(0, 6, (1024, 1024, 3)), 0, 255).astype(np.uint8)
    return {
        "texture": encode(Image.fromarray(texture.astype(np.uint8)), "PNG"),
        "own pass": encode(paint_in_style(Image.fromarray(layout), vector, 1.0), "PNG"),
    }


def evaluate() -> dict[str, object]:
    sets = synthetic_sets()
    extractor, critic = OfflineExtractor(), OfflineCritic()
    profiles = {style: extractor.extract(refs).profile for style, refs in sets.items()}
    rng = np.random.default_rng(1)
    members, others = [], []
    non_pictures: dict[str, list[float]] = {"texture": [], "own pass": []}
    for style, refs in sets.items():
        for k, member in enumerate(refs):
            profile = extractor.extract(refs[:k] + refs[k + 1 :]).profile
            members.append(critic.judge(member, profile).overall)
        for other in rng.choice([s for s in sets if s != style], OTHER_SETS, replace=False):
            others += [critic.judge(image, profiles[style]).overall for image in sets[int(other)]]
        measured = profiles[style].measurements
        assert measured is not None and measured.style is not None
        vector = np.asarray(measured.style.mean, np.float32)
        for kind, image in no_layout(refs, vector, style).items():
            non_pictures[kind].append(critic.judge(image, profiles[style]).overall)

    def share(values: list[float], passes) -> str:
        return f"{sum(passes(v) for v in values)}/{len(values)}"

    return {
        "sets": len(sets),
        "members passing 8.0": share(members, lambda v: v >= DEFAULT_THRESHOLD),
        "members at the gate or above": share(members, lambda v: v >= DEFAULT_GATE_LOW),
        "member median": round(statistics.median(members), 2),
        "other sets below the gate": share(others, lambda v: v < DEFAULT_GATE_LOW),
        "other sets median": round(statistics.median(others), 2),
        **{
            f"{kind} below the gate": share(values, lambda v: v < DEFAULT_GATE_LOW)
            for kind, values in non_pictures.items()
        },
        "worst no-layout scores": sorted(round(v, 2) for vs in non_pictures.values() for v in vs)[
            -5:
        ],
    }


if __name__ == "__main__":
    print(json.dumps(evaluate(), indent=1))
