"""Peak RSS of a real worker process running offline runs end to end, style network included.

Five references from the shared sets are uploaded as a run; a fresh `python -m jobs.worker
--burst` process extracts them (measuring, style vectors), then, once confirmed, another fresh
worker runs five iterations (the procedural layout, the style network at 1024 px, the measured
critic). Each figure is the peak RSS of that worker process, median of several repeats.
Target (issue #20): <= 350 MB.

`python -m bench.worker_memory [--repeats 3]`
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.extract_memory import (
    CREATE_RUN,
    medians,
    offline_environment,
    peak_rss_mb,
    with_new_database,
)
from tests.support.refsets import ROOT, load_sets

TARGET_MB = 350

CONFIRM_RUN = """
from sqlalchemy import select
from store.db import get_database
from store.models import Run
from store.runs import confirm_run
from store.states import Phase
from jobs.queue import enqueue_for
from tasteloop.domain.run_settings import LoopSettings
from tasteloop.domain.profile import TasteProfile
with get_database().session() as session:
    run = session.scalar(select(Run))
    assert run.phase == Phase.CONFIRM, run.phase
    profile = TasteProfile.model_validate(run.current_version.data)
    # a threshold no render reaches: all five iterations run
    confirm_run(session, run, profile, "a harbour at dusk", LoopSettings(5, 9.99, 9.98))
    run_id = run.id
enqueue_for(run_id, Phase.GENERATING)
"""

ITERATIONS = """
from sqlalchemy import func, select
from store.db import get_database
from store.models import Iteration
with get_database().session() as session:
    print(session.scalar(select(func.count(Iteration.id))))
"""


def measure(repeats: int) -> dict[str, object]:
    figures: dict[str, list[float]] = {"extracting_worker": [], "generating_worker": []}
    iterations: list[int] = []
    with tempfile.TemporaryDirectory(prefix="tasteloop-workermem-") as tmp:
        folder = Path(tmp)
        refs_dir = folder / "refs"
        refs_dir.mkdir()
        pool = [data for images in load_sets().values() for data in images]
        for number, data in enumerate(pool[::4][:5]):
            (refs_dir / f"ref{number}.jpg").write_bytes(data)
        with offline_environment(folder) as env:
            for repeat in range(repeats):
                db_env = with_new_database(env, folder / f"w{repeat}.db")

                def script(code: str, *args: str, env: dict[str, str] = db_env) -> str:
                    done = subprocess.run(
                        [sys.executable, "-c", code, *args],
                        env=env,
                        cwd=ROOT,
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    return done.stdout

                worker = [sys.executable, "-m", "jobs.worker", "--burst"]
                script(CREATE_RUN, str(refs_dir))
                figures["extracting_worker"].append(peak_rss_mb(worker, db_env))
                script(CONFIRM_RUN)
                figures["generating_worker"].append(peak_rss_mb(worker, db_env))
                iterations.append(int(script(ITERATIONS).strip()))
    return {
        "references": "5 shared-set JPEGs",
        "repeats": repeats,
        "iterations_per_run": iterations,
        **medians(figures),
        "target_mb": TARGET_MB,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.repeats), indent=2))


if __name__ == "__main__":
    main()
