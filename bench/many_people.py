"""Benchmark 1 of #17: many people at once, through HTTP, as they would use tasteloop.

Each person has their own session: logs in, uploads three references, waits for the extraction,
and then everyone confirms at the same instant and watches their run's page. The provider is the
local OpenAI-wire gateway at 1 s per extraction, 2 s per generation and 1 s per critique or
pairwise comparison; three iterations, no gate. The stack is real: gunicorn, `python -m
jobs.worker` (TASTELOOP_WORKER_THREADS threads), Redis and SQLite (or DATABASE_URL). The status
endpoint is read every 0.5 s (faster than htmx's 1.5 s, to time the first image closely).

Figures per person: confirm → first image, confirm → done; per crowd: makespan (the last
person's confirm → done), median and slowest first image, and the peak RSS of the whole stack
(web, worker, Redis; the simulated provider runs in this process and is not counted).

`python -m bench.many_people [--people 1 10 30] [--threads 10] [--repeats 3]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from werkzeug.security import generate_password_hash

from bench.poll_load import CSRF, PASSWORD, free_port, wait_for
from jobs.embedded_redis import EmbeddedRedis
from store.db import get_database
from store.migrate import upgrade
from store.models import User
from tests.support.gateway_server import FakeGateway
from tests.support.refsets import ROOT, load_sets
from tests.support.stack import descendants, spawn_worker
from tests.support.webflow import confirm_fields

LATENCY = {"extract": 1.0, "generate": 2.0, "critique": 1.0, "compare": 1.0}
ITERATIONS = 3
POLL_S = 0.5


def seed_people(url: str, count: int) -> list[str]:
    password_hash = generate_password_hash(PASSWORD)
    emails = [f"person{k}@example.com" for k in range(count)]
    with get_database(url).session() as session:
        session.add_all(User(email=e, password_hash=password_hash) for e in emails)
    return emails


class RssSampler(threading.Thread):
    """Peak RSS of named process trees (and of their sum), sampled from /proc every 0.2 s."""

    def __init__(self, roots: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.peaks = dict.fromkeys([*roots, "stack"], 0.0)
        self._stop = threading.Event()

    @staticmethod
    def rss_mb(pid: int) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def run(self) -> None:
        while not self._stop.wait(0.2):
            total = 0.0
            for name, root in self.roots.items():
                rss = sum(self.rss_mb(p) for p in (root, *descendants(root)))
                self.peaks[name] = max(self.peaks[name], rss)
                total += rss
            self.peaks["stack"] = max(self.peaks["stack"], total)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self.join()
        return {name: round(mb, 1) for name, mb in self.peaks.items()}


async def get_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    match = CSRF.search(page.text)
    if not match:
        raise RuntimeError(f"no CSRF token on {path}: HTTP {page.status_code}")
    return match.group(1)


async def prepare(client: httpx.AsyncClient, email: str, references: list[bytes]) -> int:
    """Log in, upload, wait for the extraction: the run waits at confirm. Returns its id."""
    token = await get_token(client, "/login")
    response = await client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise RuntimeError(f"login failed for {email}")
    token = await get_token(client, "/runs/new")
    files = [("images", (f"ref{k}.jpg", data, "image/jpeg")) for k, data in enumerate(references)]
    response = await client.post("/runs/new", data={"csrf_token": token}, files=files)
    if response.status_code != 302:
        raise RuntimeError(f"upload refused for {email}: HTTP {response.status_code}")
    run_id = int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])
    while (await client.get(f"/runs/{run_id}/status")).status_code != 286:
        await asyncio.sleep(POLL_S)
    return run_id


async def confirm_and_watch(
    client: httpx.AsyncClient, run_id: int, start: asyncio.Event
) -> dict[str, float]:
    page = (await client.get(f"/runs/{run_id}")).text
    fields = {
        **confirm_fields(page),
        "intent": "a harbour at dusk",
        "threshold": "9.9",
        "gate_low": "9.8",
        "max_iterations": str(ITERATIONS),
        "candidates": "1",
        "csrf_token": CSRF.search(page).group(1),  # type: ignore[union-attr]
    }
    await start.wait()
    confirmed = time.monotonic()
    response = await client.post(f"/runs/{run_id}/confirm", data=fields)
    if response.status_code != 302:
        raise RuntimeError(f"confirm refused for run {run_id}: HTTP {response.status_code}")
    first = None
    while True:
        status = await client.get(f"/runs/{run_id}/status")
        now = time.monotonic()
        if first is None and '<li class="card' in status.text:
            first = now - confirmed
        if status.status_code == 286:
            if "Best of" not in status.text:
                raise RuntimeError(f"run {run_id} ended unexpectedly: {status.text[:300]}")
            return {"first_image_s": first or now - confirmed, "done_s": now - confirmed}
        await asyncio.sleep(POLL_S)


async def crowd(base: str, emails: list[str], references: list[bytes]) -> list[dict]:
    clients = [httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False) for _ in emails]
    try:
        run_ids = await asyncio.gather(
            *(prepare(c, e, references) for c, e in zip(clients, emails, strict=True))
        )
        start = asyncio.Event()
        watchers = [
            asyncio.create_task(confirm_and_watch(c, r, start))
            for c, r in zip(clients, run_ids, strict=True)
        ]
        await asyncio.sleep(1.0)  # everyone has their confirm form ready
        start.set()
        return await asyncio.gather(*watchers)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def measure(people: int, threads: int, database_url: str | None = None) -> dict:
    references = load_sets()["van-gogh-swirling-landscapes"][:3]
    with tempfile.TemporaryDirectory(prefix="tasteloop-people-") as tmp:
        folder = Path(tmp)
        url = database_url or f"sqlite:///{folder / 'people.db'}"
        upgrade(url)
        emails = seed_people(url, people)
        redis_server = EmbeddedRedis(folder / "redis", persist=False).start()
        gateway = FakeGateway(render_size=256, latency=dict(LATENCY), cheap=True).start()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": redis_server.url,
            "TASTELOOP_DATA_DIR": str(folder),
            "TASTELOOP_SECRET_KEY": "people-bench-secret",
            "TASTELOOP_ENGINE": "gateway",
            "BASE_URL": gateway.base_url,
            "API_KEY": "bench",
            "TASTELOOP_WORKER_THREADS": str(threads),
            "TASTELOOP_TIMEOUT": "60",
        }
        port = free_port()
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "4", "--worker-class", "gthread"]
            + ["--threads", "8", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
            + ["webapp:create_app()"],
            cwd=ROOT,
            env=env,
        )
        worker = spawn_worker(env)
        assert redis_server.process is not None
        sampler = RssSampler(
            {"web": web.pid, "worker": worker.pid, "redis": redis_server.process.pid}
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/login")
            sampler.start()
            rows = asyncio.run(crowd(base, emails, references))
        finally:
            peaks = sampler.stop() if sampler.is_alive() else {}
            web.terminate()
            worker.terminate()
            web.wait(timeout=20)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
            gateway.stop()
            redis_server.stop()
    firsts = [r["first_image_s"] for r in rows]
    return {
        "people": people,
        "worker_threads": threads,
        "makespan_s": round(max(r["done_s"] for r in rows), 2),
        "median_first_image_s": round(statistics.median(firsts), 2),
        "slowest_first_image_s": round(max(firsts), 2),
        "stack_peak_rss_mb": peaks.get("stack", 0.0),
        "worker_peak_rss_mb": peaks.get("worker", 0.0),
        "web_peak_rss_mb": peaks.get("web", 0.0),
    }


def medians(runs: list[dict]) -> dict:
    keys = [k for k in runs[0] if k not in ("people", "worker_threads")]
    return {
        "people": runs[0]["people"],
        "worker_threads": runs[0]["worker_threads"],
        "repeats": len(runs),
        **{k: round(statistics.median(r[k] for r in runs), 2) for k in keys},
    }


def benchmark(repeats: int = 3, crowds: tuple[tuple[int, int], ...] = ()) -> dict:
    """One person alone, then each crowd (people, worker threads); ratios against the one."""
    crowds = crowds or ((10, 10), (30, 30))
    alone = medians([measure(1, 10) for _ in range(repeats)])
    result: dict = {"alone": alone}
    for people, threads in crowds:
        figures = medians([measure(people, threads) for _ in range(repeats)])
        figures["makespan_vs_alone"] = round(figures["makespan_s"] / alone["makespan_s"], 2)
        figures["slowest_first_image_vs_alone"] = round(
            figures["slowest_first_image_s"] / alone["median_first_image_s"], 2
        )
        result[f"{people}_people"] = figures
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--crowd", nargs=2, type=int, action="append", metavar=("PEOPLE", "THREADS")
    )
    args = parser.parse_args()
    crowds = tuple(tuple(c) for c in args.crowd) if args.crowd else ()
    print(json.dumps(benchmark(args.repeats, crowds), indent=2))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
