"""Is the offline critic a real judge? Leave-one-out ranking over the shared reference sets.

For each set and each held-out reference, build the profile from the remaining references;
the held-out image should score higher against that profile than every image of another set.
Prints the fraction of (held-out, foreign) pairs ranked correctly. Target: >= 0.85.
"""

from __future__ import annotations

import json
import sys

from bench.refsets import load_sets
from tasteloop.offline.critic import MeasuredCritic
from tasteloop.offline.extractor import MeasuredExtractor


def ranking_accuracy() -> dict[str, object]:
    sets = load_sets()
    extractor, critic = MeasuredExtractor(), MeasuredCritic()
    wins = total = 0
    per_set: dict[str, float] = {}
    own_scores, foreign_scores = [], []
    for name, images in sets.items():
        set_wins = set_total = 0
        for i, held_out in enumerate(images):
            profile = extractor.extract(images[:i] + images[i + 1 :]).profile
            own = critic.judge(held_out, profile).overall
            own_scores.append(own)
            for other, other_images in sets.items():
                if other == name:
                    continue
                for foreign in other_images:
                    score = critic.judge(foreign, profile).overall
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


if __name__ == "__main__":
    result = ranking_accuracy()
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["accuracy"] >= 0.85 else 1)
