"""Kill a real worker with SIGKILL while it is generating or critiquing, start another, and check
the run completes with no iteration lost or duplicated.

`python -m bench.worker_kill [--trials 20]`
"""

from __future__ import annotations

import argparse
import json

from tests.support.scenarios import kill_trials as trials


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    result = trials(args.trials)
    rows = result.pop("rows")
    for row in rows:
        print(json.dumps(row))
    recoveries = sorted(r["recovery_s"] for r in rows)
    result["median_recovery_s"] = recoveries[len(recoveries) // 2]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
