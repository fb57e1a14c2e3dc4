"""Does noise no one can see move the offline critic's verdict?

A render's flat areas are exactly flat; a scan's or a photograph's carry faint noise. Each picture
is judged as it is and with uniform noise of one and of two levels in 255 added to every channel
(under one L* unit: invisible):
- members: each shared set's references (as uploaded) held out in turn, against the others;
- clean renders: the painter's pictures of three intents per set with no grain and no brushwork,
  as the loop's revisions paint them for a set of clean ink drawings.

Reported: the mean and the largest change of the score. `python -m bench.invisible_noise`
"""

from __future__ import annotations

import json
import statistics

import numpy as np
from PIL import Image

from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.style import style_target
from tasteloop.images import CRITIQUE_SIDE, decode_image
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator
from tests.support.refsets import load_sets

INTENTS = ("a harbour at dusk", "a city street in the rain", "a portrait of a fisherman")
CLEAN = " Adjustments: grain -1, brushwork -3, softness -2."
LEVELS = (1, 2)


def with_noise(image: Image.Image, level: int, rng: np.random.Generator) -> Image.Image:
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    noise = rng.integers(-level, level + 1, pixels.shape)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def _changes(pictures: list[tuple[Image.Image, object]], critic: OfflineCritic) -> dict:
    rng = np.random.default_rng(0)
    clean = [critic.judge(image, profile).overall for image, profile in pictures]
    out: dict[str, object] = {}
    for level in LEVELS:
        changes = [
            abs(critic.judge(with_noise(image, level, rng), profile).overall - score)
            for (image, profile), score in zip(pictures, clean, strict=True)
        ]
        out[f"±{level} level: mean change"] = round(statistics.mean(changes), 2)
        out[f"±{level} level: largest change"] = round(max(changes), 2)
    out["pictures"] = len(pictures)
    return out


def evaluate() -> dict[str, object]:
    critic, generator, extractor = OfflineCritic(), OfflineGenerator(), OfflineExtractor()
    members, renders = [], []
    for refs in load_sets(as_uploaded=True).values():
        for k, member in enumerate(refs):
            profile = extractor.extract(refs[:k] + refs[k + 1 :]).profile
            members.append((decode_image(member, max_side=CRITIQUE_SIDE), profile))
        profile = extractor.extract(refs).profile
        for intent in INTENTS:
            prompt = initial_prompt(intent, profile) + CLEAN
            renders.append((generator.render(prompt, style=style_target(profile)), profile))
    return {"members": _changes(members, critic), "clean renders": _changes(renders, critic)}


def main() -> None:
    print(json.dumps(evaluate(), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
