"""Is the offline critic a real judge? Leave-one-out ranking over the shared reference sets.

For each set and each held-out reference, build the profile from the remaining references;
the held-out image should score higher against that profile than every image of another set.
Prints the fraction of (held-out, foreign) pairs ranked correctly. Target: >= 0.90 (issue #20).

`--weights-grid` also checks that the figure is not a knife-edge of the overall weighting:
it re-ranks every pair under a grid of dimension weights and reports how many reach the target.
`--as-uploaded` measures the references re-encoded the way an upload stores them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass

from tasteloop.domain.profile import TasteProfile
from tasteloop.measure.learned_style import measure_candidate as measure_for_critique
from tasteloop.measure.schema import ImageMeasurement as Measurement
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.critic.scoring import WEIGHTS
from tasteloop.offline.extractor import OfflineExtractor
from tests.support.refsets import load_sets

TARGET = 0.90


@dataclass
class LeaveOneOut:
    """Everything measured once: each image, and each set's profile without one member."""

    images: dict[str, list[Measurement]]
    profiles: dict[tuple[str, int], TasteProfile]

    @classmethod
    def build(cls, as_uploaded: bool = False) -> LeaveOneOut:
        sets = load_sets(as_uploaded)
        extractor = OfflineExtractor()
        profiles = {
            (name, i): extractor.extract(images[:i] + images[i + 1 :]).profile
            for name, images in sets.items()
            for i in range(len(images))
        }
        measured = {name: [measure_for_critique(b) for b in imgs] for name, imgs in sets.items()}
        return cls(measured, profiles)


def ranking_accuracy(
    data: LeaveOneOut | None = None, weights: dict[str, float] | None = None
) -> dict[str, object]:
    data = data or LeaveOneOut.build()
    critic = OfflineCritic(weights)
    wins = total = 0
    per_set: dict[str, float] = {}
    own_scores, foreign_scores = [], []
    for name, images in data.images.items():
        set_wins = set_total = 0
        for i, held_out in enumerate(images):
            profile = data.profiles[(name, i)]
            own = critic.judge_measured(held_out, profile).overall
            own_scores.append(own)
            for other, other_images in data.images.items():
                if other == name:
                    continue
                for foreign in other_images:
                    score = critic.judge_measured(foreign, profile).overall
                    foreign_scores.append(score)
                    set_total += 1
                    set_wins += own > score
        per_set[name] = round(set_wins / set_total, 3)
        wins += set_wins
        total += set_total
    own_scores.sort()
    foreign_scores.sort()
    return {
        "accuracy": round(wins / total, 4),
        "pairs": total,
        "per_set": per_set,
        "median_own_score": own_scores[len(own_scores) // 2],
        "median_foreign_score": foreign_scores[len(foreign_scores) // 2],
    }


def weight_grid() -> list[dict[str, float]]:
    """Palette, composition, emotion and avoid weights on a grid; texture takes the rest."""
    grid = []
    for palette, composition, emotion, avoid in itertools.product(
        (0.15, 0.2, 0.25, 0.3, 0.35), (0.05, 0.1, 0.15, 0.2), (0.0, 0.05, 0.1), (0.05, 0.1, 0.15)
    ):
        texture = round(1 - palette - composition - emotion - avoid, 2)
        if texture >= 0.2:
            grid.append(
                {
                    "palette_tendency": palette,
                    "compositional_style": composition,
                    "emotional_register": emotion,
                    "texture_feel": texture,
                    "avoid_list": avoid,
                }
            )
    return grid


def weight_sensitivity(data: LeaveOneOut) -> dict[str, object]:
    results = [(ranking_accuracy(data, w)["accuracy"], w) for w in weight_grid()]
    accuracies = sorted(float(a) for a, _ in results)  # type: ignore[arg-type]
    best_accuracy, best_weights = max(results, key=lambda r: r[0])  # type: ignore[arg-type,return-value]
    return {
        "settings": len(results),
        "reaching_target": sum(a >= TARGET for a in accuracies),
        "median_accuracy": accuracies[len(accuracies) // 2],
        "worst_accuracy": accuracies[0],
        "best_accuracy": best_accuracy,
        "best_weights": best_weights,
        "shipped_weights": WEIGHTS,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights-grid", action="store_true", help="also test other weightings")
    parser.add_argument("--as-uploaded", action="store_true", help="re-encode like an upload")
    args = parser.parse_args()
    data = LeaveOneOut.build(args.as_uploaded)
    result = ranking_accuracy(data)
    print(json.dumps(result, indent=2))
    if args.weights_grid:
        print(json.dumps(weight_sensitivity(data), indent=2))
    sys.exit(0 if result["accuracy"] >= TARGET else 1)
