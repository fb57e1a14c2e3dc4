"""Benchmark 4: peak memory while extracting a taste from 5 references of 12 megapixels each.

Five 4000×3000 JPEGs (refset images scaled up, so they compress like photographs) go through:
- the web upload path (validation + re-encoding, what `POST /runs/new` does),
- the worker: a real `python -m jobs.worker --burst` process extracting the stored run,
- the CLI: `tasteloop extract` reading the 12 MP files directly.
Each is measured as the peak RSS (ru_maxrss) of a fresh child process, median of several runs.

`python -m bench.extract_memory [--repeats 5]`
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from jobs.embedded_redis import EmbeddedRedis
from tests.support.refsets import ROOT, load_sets

SIZE = (4000, 3000)


def make_references(folder: Path) -> list[Path]:
    paths = []
    pool = [data for images in load_sets().values() for data in images]
    for number, data in enumerate(pool[::3][:5]):  # a mix of sets
        image = Image.open(io.BytesIO(data)).convert("RGB").resize(SIZE, Image.Resampling.BICUBIC)
        path = folder / f"ref{number}.jpg"
        image.save(path, "JPEG", quality=92)
        paths.append(path)
    return paths


@contextlib.contextmanager
def offline_environment(folder: Path) -> Iterator[dict[str, str]]:
    """The environment for tasteloop processes on the offline engine, with an embedded Redis
    (kept in `folder`) for as long as the block runs."""
    redis_server = EmbeddedRedis(folder / "redis", persist=False).start()
    try:
        yield {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REDIS_URL": redis_server.url,
            "TASTELOOP_ENGINE": "offline",
            "TASTELOOP_DATA_DIR": str(folder),
        }
    finally:
        redis_server.stop()


def with_new_database(env: dict[str, str], path: Path) -> dict[str, str]:
    """`env` with a fresh, migrated SQLite database at `path`."""
    from store.migrate import upgrade

    url = f"sqlite:///{path}"
    upgrade(url)
    return {**env, "DATABASE_URL": url}


def medians(figures: dict[str, list[float]]) -> dict[str, dict[str, object]]:
    """`<name>_peak_rss_mb`: the median and every repeat's figure, in MB."""
    return {
        f"{name}_peak_rss_mb": {
            "median": round(statistics.median(values), 1),
            "all": [round(v, 1) for v in values],
        }
        for name, values in figures.items()
    }


def peak_rss_mb(args: list[str], env: dict[str, str]) -> float:
    """Peak RSS of the largest process in a fresh child's tree (children must be waited for)."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1]) / 1024  # kB on Linux


UPLOAD = """
import sys
from pathlib import Path
from store.uploads import validate_uploads
files = [(p.name, p.read_bytes()) for p in sorted(Path(sys.argv[1]).glob('*.jpg'))]
validate_uploads(files)
"""

CREATE_RUN = """
import sys
from pathlib import Path
from store.db import get_database
from store.models import User
from store.uploads import create_run
from jobs.queue import enqueue_for
files = [(p.name, p.read_bytes()) for p in sorted(Path(sys.argv[1]).glob('*.jpg'))]
with get_database().session() as session:
    user = User(email='mem@example.com', password_hash='x')
    session.add(user)
    session.flush()
    run = create_run(session, user, files, 'offline', {})
    session.flush()
    run_id = run.id
enqueue_for(run_id, "extracting")
"""


def _check_extracted(url: str) -> None:
    from sqlalchemy import select

    from store.db import get_database
    from store.models import Phase, Run

    with get_database(url).session() as session:
        phase = session.scalar(select(Run.phase))
    if phase != Phase.CONFIRM:
        raise RuntimeError(f"the worker did not extract the run (phase {phase})")


def measure(repeats: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="tasteloop-mem-") as tmp:
        folder = Path(tmp)
        refs_dir = folder / "refs"
        refs_dir.mkdir()
        paths = make_references(refs_dir)
        sizes_mb = [round(p.stat().st_size / 1e6, 1) for p in paths]
        figures: dict[str, list[float]] = {"upload": [], "worker": [], "cli": []}
        with offline_environment(folder) as env:
            for repeat in range(repeats):
                db_env = with_new_database(env, folder / f"mem{repeat}.db")
                figures["upload"].append(
                    peak_rss_mb([sys.executable, "-c", UPLOAD, str(refs_dir)], db_env)
                )
                subprocess.run(
                    [sys.executable, "-c", CREATE_RUN, str(refs_dir)],
                    env=db_env,
                    cwd=ROOT,
                    check=True,
                )
                figures["worker"].append(
                    peak_rss_mb([sys.executable, "-m", "jobs.worker", "--burst"], db_env)
                )
                _check_extracted(db_env["DATABASE_URL"])
                figures["cli"].append(
                    peak_rss_mb(
                        [sys.executable, "-m", "tasteloop.cli", "extract", *map(str, paths)],
                        db_env,
                    )
                )
    return {
        "references": f"5 × {SIZE[0]}×{SIZE[1]} JPEG ({sizes_mb} MB)",
        "repeats": repeats,
        **medians(figures),
        "target_mb": 300,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.repeats), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
