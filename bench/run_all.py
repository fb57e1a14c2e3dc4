"""`make bench`: run every benchmark and print its figures (copied into BENCHMARKS.md)."""

from __future__ import annotations

import json

from bench import critic_ranking, offline_convergence, offline_timings


def main() -> None:
    print("== offline per-stage timings (median of 7)")
    print(json.dumps(offline_timings.timings(), indent=2))
    print("== critic leave-one-out ranking")
    print(json.dumps(critic_ranking.ranking_accuracy(), indent=2))
    print("== offline convergence (5 sets x 3 intents, max 5 iterations, threshold 8.0)")
    result = offline_convergence.convergence()
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    for row in result["rows"]:
        print(f"  {row['set']:32} {row['intent']:34} {row['iterations']} it. {row['scores']}")


if __name__ == "__main__":
    main()
