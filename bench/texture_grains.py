"""The style network's texture with no layout, over many random grains: how many reach the gate.

bench/truthfulness.py judges one texture per shared set (one grain of the flat field it is
painted over); the verdict on such a texture depends on that grain (its blobs may happen to
hold together). Here each set's texture is painted over GRAINS random grains of a flat field in
the set's mean colour and judged against the set's profile (references as uploaded).
`python -m bench.texture_grains` (about a minute).
"""

from __future__ import annotations

import json

import numpy as np

from bench.truthfulness import _rgb
from tasteloop.domain.run_settings import DEFAULT_GATE_LOW
from tasteloop.images import encode
from tasteloop.measure.bare_style import bare_texture
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.extractor import OfflineExtractor
from tests.support.refsets import load_sets

GRAINS = 10


def evaluate(grains: int = GRAINS) -> dict[str, object]:
    critic, extractor = OfflineCritic(), OfflineExtractor()
    found: dict[str, list[float]] = {}
    for name, refs in load_sets(as_uploaded=True).items():
        profile = extractor.extract(refs).profile
        assert profile.measurements is not None and profile.measurements.style is not None
        vector = np.asarray(profile.measurements.style.mean, np.float32)
        mean = np.concatenate([_rgb(r).reshape(-1, 3) for r in refs]).mean(axis=0)
        scores = []
        for seed in range(grains):
            texture = bare_texture(vector, tuple(mean / 255.0), np.random.default_rng(seed))
            scores.append(critic.judge(encode(texture, "PNG"), profile).overall)
        found[name] = scores
    every = [s for scores in found.values() for s in scores]
    return {
        "at the gate or above, per set": {
            name: f"{sum(s >= DEFAULT_GATE_LOW for s in scores)}/{len(scores)}"
            for name, scores in found.items()
        },
        "at the gate or above": f"{sum(s >= DEFAULT_GATE_LOW for s in every)}/{len(every)}",
        "highest": sorted(round(s, 2) for s in every)[-5:],
    }


if __name__ == "__main__":
    print(json.dumps(evaluate(), indent=1))
