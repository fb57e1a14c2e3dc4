"""How the offline critic combines its independent dimensions: the power of their mean, chosen
leaving each shared set out in turn.

The independent verdict is the weighted power mean of the five dimensions' scores (plus one):
power 1 is the weighted average, where 50 % of the weight (mark-making and the avoid-list) can
carry a picture whose colour and mood are far off to the gate; lower powers ask every dimension
to be near. For each held-out shared set the power is chosen on the other four, from POWERS, by
the balanced error at the gate: the share of members (each judged against the rest of its set)
below it plus the share of other sets' references and non-pictures at or above it; a tie goes to
the higher power, the nearer the average. The shipped power is the folds' median.

The 26 synthetic tastes (bench/synthetic_tastes.py) are judged at every power as a check nothing
was chosen on. `python -m bench.combining` (about 7 minutes); figures in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass

import numpy as np

from bench.synthetic_tastes import OTHER_SETS, no_layout, synthetic_sets
from bench.truthfulness import degenerate_pictures
from tasteloop.domain.profile import StyleControls, TasteProfile
from tasteloop.domain.run_settings import DEFAULT_GATE_LOW
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.critic.scoring import MEAN_POWER, WEIGHTS, combined
from tasteloop.offline.extractor import OfflineExtractor
from tests.support.refsets import load_sets

POWERS = (1.0, 0.75, 0.5, 0.25, 0.0, -0.5, -1.0)


@dataclass(frozen=True)
class Judged:
    """One picture's independent dimension scores, the network's verdict and the layout check,
    so its overall can be worked out again at any power."""

    group: str  # the set it was judged against
    member: bool
    scores: dict[str, float]
    by_network: float | None
    plausibility: float

    def overall(self, power: float) -> float:
        independent = combined(self.scores, WEIGHTS, power)
        verdict = independent if self.by_network is None else min(independent, self.by_network)
        return verdict * self.plausibility


class Collector:
    def __init__(self) -> None:
        self.critic = OfflineCritic()
        self.found: list[Judged] = []

    def judge(self, group: str, member: bool, image: bytes, profile: TasteProfile) -> None:
        shipped = self.critic.judge(image, profile)
        # at strength 0 the network has no share of mark-making: the independent scores alone
        alone = self.critic.judge(image, profile.with_style(StyleControls(strength=0.0)))
        plausibility = shipped.picture.plausibility if shipped.picture else 1.0
        self.found.append(Judged(group, member, alone.scores, shipped.by_network, plausibility))


def collect_shared(collector: Collector) -> None:
    extractor = OfflineExtractor()
    sets = load_sets(as_uploaded=True)
    profiles = {name: extractor.extract(refs).profile for name, refs in sets.items()}
    for name, refs in sets.items():
        for k in range(len(refs)):
            rest = extractor.extract(refs[:k] + refs[k + 1 :]).profile
            collector.judge(name, True, refs[k], rest)
        for other, other_refs in sets.items():
            if other != name:
                for image in other_refs:
                    collector.judge(name, False, image, profiles[name])
        style = profiles[name].measurements.style
        for image in degenerate_pictures(refs, tuple(style.mean) if style else None).values():
            collector.judge(name, False, image, profiles[name])


def collect_synthetic(collector: Collector) -> None:
    extractor = OfflineExtractor()
    sets = synthetic_sets()
    profiles = {style: extractor.extract(refs).profile for style, refs in sets.items()}
    rng = np.random.default_rng(1)  # the same other sets as bench/synthetic_tastes.py
    for style, refs in sets.items():
        group = f"synthetic {style}"
        for k, member in enumerate(refs):
            collector.judge(
                group, True, member, extractor.extract(refs[:k] + refs[k + 1 :]).profile
            )
        for other in rng.choice([s for s in sets if s != style], OTHER_SETS, replace=False):
            for image in sets[int(other)]:
                collector.judge(group, False, image, profiles[style])
        measured = profiles[style].measurements
        assert measured is not None and measured.style is not None
        vector = np.asarray(measured.style.mean, np.float32)
        for image in no_layout(refs, vector, style).values():
            collector.judge(group, False, image, profiles[style])


def figures(judged: list[Judged], power: float) -> dict[str, object]:
    members = [j.overall(power) for j in judged if j.member]
    others = [j.overall(power) for j in judged if not j.member]
    return {
        "members below the gate": f"{sum(v < DEFAULT_GATE_LOW for v in members)}/{len(members)}",
        "members below 8.0": f"{sum(v < 8.0 for v in members)}/{len(members)}",
        "others at the gate": f"{sum(v >= DEFAULT_GATE_LOW for v in others)}/{len(others)}",
    }


def balanced_error(judged: list[Judged], power: float) -> float:
    members = [j.overall(power) for j in judged if j.member]
    others = [j.overall(power) for j in judged if not j.member]
    lost = sum(v < DEFAULT_GATE_LOW for v in members) / len(members)
    through = sum(v >= DEFAULT_GATE_LOW for v in others) / len(others)
    return lost + through


def choose(judged: list[Judged]) -> float:
    errors = {p: round(balanced_error(judged, p), 6) for p in POWERS}
    return min(POWERS, key=lambda p: (errors[p], -p))


def evaluate() -> dict[str, object]:
    shared = Collector()
    collect_shared(shared)
    folds = {}
    for held in sorted({j.group for j in shared.found}):
        power = choose([j for j in shared.found if j.group != held])
        folds[held] = {
            "chosen on the other sets": power,
            "held out, at that power": figures([j for j in shared.found if j.group == held], power),
        }
    synthetic = Collector()
    collect_synthetic(synthetic)
    return {
        "folds": folds,
        "folds' median": statistics.median(f["chosen on the other sets"] for f in folds.values()),
        "shipped": MEAN_POWER,
        "by power": {
            str(p): {"shared": figures(shared.found, p), "synthetic": figures(synthetic.found, p)}
            for p in POWERS
        },
    }


def main() -> None:
    print(json.dumps(evaluate(), indent=1))


if __name__ == "__main__":
    main()
