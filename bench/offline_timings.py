"""Offline engine per-stage timings: median of several runs on this machine.

Targets (issue #20, with the style network): extraction from 5 references at <= 1024 px
(measurements and style vectors) <= 1.0 s; one 1024x1024 generation (layout, style network,
detail restored) <= 0.6 s; one critique (measurements, the candidate's style vector and the
subject check against its sketch) <= 0.25 s; the same at 16:9 (1024 x 576: the critic reads two
squares of a wide picture). The first call of each, which opens the networks, is a warm-up and
not counted. Extraction includes painting the set's style laid over nothing
(tasteloop.measure.bare_style); a person who weights the references otherwise changes the style,
so the first critique of a re-weighted taste paints it (once per worker), timed beside.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time

from tasteloop.domain.engine import Brief, GenerationInputs
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.shape import PictureShape
from tasteloop.domain.style import style_target
from tasteloop.measure.bare_style import texture_variety
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator
from tests.support.refsets import load_sets

RUNS = 7


def _median_seconds(fn, runs: int = RUNS, before=None) -> float:
    """The median of `runs` calls after a warm-up (imports, caches); `before` runs untimed
    before each."""
    fn()
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def timings() -> dict[str, object]:
    sets = load_sets()
    five = sets["van-gogh-swirling-landscapes"] + sets["geometric-abstraction"][:1]
    extractor, renderer, critic = (
        OfflineExtractor(),
        OfflineGenerator(size=1024),
        OfflineCritic(),
    )
    profile = extractor.extract(five).profile
    prompt = initial_prompt("a harbour at dusk", profile)
    reweighted = profile.with_style(profile.style.model_copy(update={"weights": [1, 1, 1, 1, 2]}))
    assert reweighted.measurements and reweighted.measurements.style
    assert reweighted.measurements.style.bare_variety is None  # to be painted at the critique
    inputs = GenerationInputs(style=style_target(profile))
    image = renderer.generate(prompt, inputs=inputs)  # with its sketch: the subject is judged
    wide_inputs = GenerationInputs(style=style_target(profile), shape=PictureShape("16:9"))
    wide = renderer.generate(prompt, inputs=wide_inputs)
    results = {
        # a worker keeps the bare styles it painted: forgotten, as for a set never seen
        "extract_5_refs_s": _median_seconds(
            lambda: extractor.extract(five), before=texture_variety.cache_clear
        ),
        "generate_1024_s": _median_seconds(
            lambda: renderer.generate(prompt, seed=3, inputs=inputs)
        ),
        "critique_s": _median_seconds(
            lambda: critic.critique(image, prompt, Brief(profile, "a harbour at dusk"))
        ),
        "critique_first_of_a_reweighted_taste_s": _median_seconds(
            lambda: critic.critique(image, prompt, Brief(reweighted, "a harbour at dusk")),
            before=texture_variety.cache_clear,
        ),
        "generate_16x9_s": _median_seconds(
            lambda: renderer.generate(prompt, seed=3, inputs=wide_inputs)
        ),
        "critique_16x9_s": _median_seconds(
            lambda: critic.critique(wide, prompt, Brief(profile, "a harbour at dusk"))
        ),
    }
    targets = {
        "extract_5_refs_s": 1.0,
        "generate_1024_s": 0.6,
        "critique_s": 0.25,
        "generate_16x9_s": 0.6,
        "critique_16x9_s": 0.25,
    }
    return {
        "machine": machine(),
        "runs": RUNS,
        "results": {k: round(v, 4) for k, v in results.items()},
        "targets": targets,
        "met": {k: results[k] <= targets[k] for k in targets},
    }


if __name__ == "__main__":
    print(json.dumps(timings(), indent=2))
