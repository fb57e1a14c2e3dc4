"""Twenty runs through real workers against the local gateway failing 30 % of its calls
(500, 429, timeouts, malformed JSON, missing fields, missing image). Every run must end done,
gated, or failed with a clear retryable reason, and the database must stay consistent.

`python -m bench.gateway_faults [--runs 20] [--fault-rate 0.3]`
"""

from __future__ import annotations

import argparse
import json

from tests.support.scenarios import fault_runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    args = parser.parse_args()
    print(json.dumps(fault_runs(args.runs, args.fault_rate), indent=2))


if __name__ == "__main__":
    main()
