"""History at any size: the time and size of a person's history page (the first, a middle and
the last keyset page, its gallery) and the admin's all-runs, decisions and accounts pages, with
10, 3,000 and 10,000 runs (each with a decided gate, and as many accounts).

Each run has a reference image and a finished iteration with a real painted image (the same
blobs, as copies of one person's runs would), so every row has its thumbnail and score. The page
is asked for in-process (Flask's test client: the server's own time, no network), median of 7.

`python -m bench.history_pages [--runs 10 3000 10000]`
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select, update

from jobs.embedded_redis import EmbeddedRedis
from store.blobs import save_blob
from store.db import get_database
from store.migrate import upgrade
from store.models import Gate, Iteration, Phase, ReferenceImage, Run, User, new_secret, utcnow
from tests.support.images import png_bytes
from tests.support.web import Browser

REPEATS = 7


def _seed(url: str, count: int) -> None:
    with get_database(url).session() as session:
        user = session.scalar(select(User).where(User.email == "many@example.com"))
        sha = save_blob(session, png_bytes(size=(1024, 1024)))
        first = len(list(session.scalars(select(Run.id).where(Run.user_id == user.id))))
        for start in range(first, count, 1000):
            batch = range(start, min(count, start + 1000))
            run_ids = [
                session.execute(
                    insert(Run)
                    .values(
                        user_id=user.id,
                        phase=Phase.DONE,
                        outcome="converged",
                        intent=f"a harbour at dusk, number {k}",
                        models={},
                        extract_usage=[],
                    )
                    .returning(Run.id)
                ).scalar_one()
                for k in batch
            ]
            session.execute(
                insert(ReferenceImage),
                [
                    {"run_id": r, "position": 0, "blob_sha": sha, "filename": "a.jpg"}
                    for r in run_ids
                ],
            )
            for run_id in run_ids:
                iteration = session.execute(
                    insert(Iteration)
                    .values(
                        run_id=run_id,
                        index=0,
                        prompt="p",
                        image_sha=sha,
                        score=8.4,
                        breakdown=[],
                        reasoning="r",
                        revised_prompt="p",
                    )
                    .returning(Iteration.id)
                ).scalar_one()
                session.execute(
                    update(Run)
                    .where(Run.id == run_id)
                    .values(final_iteration_id=iteration, best_iteration_id=iteration)
                )
                session.execute(
                    insert(Gate).values(
                        run_id=run_id,
                        iteration_id=iteration,
                        score=7.1,
                        decision="approve",
                        decided_by_id=user.id,
                        decided_at=utcnow(),
                    )
                )
            session.execute(
                insert(User),
                [
                    {
                        "email": f"person{k}@example.com",
                        "password_hash": "x",
                        "session_token": new_secret(),
                        "spending_key": new_secret(),
                    }
                    for k in batch
                ],
            )
            session.flush()


def _timed(browser: Browser, url: str) -> tuple[float, int]:
    samples, size = [], 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = browser.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, url
        size = len(response.get_data())
    return statistics.median(samples), size


def measure(counts: list[int]) -> list[dict[str, object]]:
    from webapp import create_app

    work = Path(tempfile.mkdtemp(prefix="tasteloop-history-"))
    url = f"sqlite:///{work / 'bench.db'}"
    upgrade(url)
    redis = EmbeddedRedis(work / "redis").start()
    os.environ.update({"DATABASE_URL": url, "REDIS_URL": redis.url, "TASTELOOP_ENGINE": "offline"})
    app = create_app({"DATA_DIR": work / "data", "DATABASE_URL": url, "SECRET_KEY": "bench"})
    person, admin = Browser(app.test_client()), Browser(app.test_client())
    person.register("many@example.com")
    admin.register("root@example.com")
    app.test_cli_runner().invoke(args=["promote", "root@example.com"])
    rows = []
    try:
        for count in sorted(counts):
            _seed(url, count)
            first, first_size = _timed(person, "/history")
            pages = [("/history", first)]
            html = person.get("/history").get_data(as_text=True)
            older = re.search(r'<a href="([^"]+)" rel="next">', html)
            last = None
            while older:  # walk to the last page; time one in the middle and the last
                pages.append((older.group(1).replace("&amp;", "&"), 0.0))
                html = person.get(pages[-1][0]).get_data(as_text=True)
                older = re.search(r'<a href="([^"]+)" rel="next">', html)
            middle_url = pages[len(pages) // 2][0]
            last_url = pages[-1][0]
            middle, _ = _timed(person, middle_url)
            last, _ = _timed(person, last_url)
            searched, _ = _timed(person, "/history?q=number+4242")
            everyone, everyone_size = _timed(admin, "/admin/runs")
            gallery, gallery_size = _timed(person, "/history?view=gallery")
            decisions, decisions_size = _timed(admin, "/admin/decisions")
            accounts, accounts_size = _timed(admin, "/admin/users")
            rows.append(
                {
                    "runs": count,
                    "pages": len(pages),
                    "first page ms": round(first * 1000, 1),
                    "first page KB": round(first_size / 1024, 1),
                    "middle page ms": round(middle * 1000, 1),
                    "last page ms": round(last * 1000, 1),
                    "search ms": round(searched * 1000, 1),
                    "admin all runs ms": round(everyone * 1000, 1),
                    "admin all runs KB": round(everyone_size / 1024, 1),
                    "gallery ms": round(gallery * 1000, 1),
                    "gallery KB": round(gallery_size / 1024, 1),
                    "admin decisions ms": round(decisions * 1000, 1),
                    "admin decisions KB": round(decisions_size / 1024, 1),
                    "admin accounts ms": round(accounts * 1000, 1),
                    "admin accounts KB": round(accounts_size / 1024, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    finally:
        redis.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, nargs="+", default=[10, 3000, 10000])
    measure(parser.parse_args().runs)


if __name__ == "__main__":
    main()
