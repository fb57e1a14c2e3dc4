"""Benchmark 3: the htmx progress endpoint under 100 concurrent pollers, against gunicorn.

100 users, each logged in with their own session and a run in progress (two iterations already
committed, so the partial renders the chart, the cards and the profile). Each poller requests
`/runs/<id>/status` at the app's poll interval, like htmx does, for the measured window. This
process is the load generator; gunicorn runs as a separate process on loopback.

`python -m bench.poll_load [--pollers 100] [--seconds 30] [--interval 1.5]`
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from jobs.embedded_redis import EmbeddedRedis
from store.blobs import save_blob
from store.db import get_database
from store.migrate import upgrade
from store.models import Iteration, Phase, ProfileVersion, ReferenceImage, Run, User
from tasteloop.domain.engine import Brief
from tasteloop.domain.profile import CRITIQUE_DIMENSIONS
from tasteloop.domain.prompts import initial_prompt
from tasteloop.offline.engine import offline_engine
from tests.support.refsets import ROOT, load_sets

PASSWORD = "load test passphrase"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HX_GET = re.compile(r'hx-get="([^"]+)"')


def seed_database(url: str, users: int) -> list[tuple[str, int, str]]:
    """Users, each with a run in `generating` and two committed iterations."""
    engine = offline_engine()
    references = load_sets()["van-gogh-swirling-landscapes"][:3]
    profile = engine.extractor.extract(references).profile
    prompt = initial_prompt("a harbour at dusk", profile)
    image = engine.generator.generate(prompt, seed=0).data
    critique = engine.critic.critique(image, prompt, Brief(profile, "a harbour at dusk")).result
    password_hash = generate_password_hash(PASSWORD)
    accounts = []
    with get_database(url).session() as session:
        ref_shas = [save_blob(session, data) for data in references]
        image_sha = save_blob(session, image)
        for number in range(users):
            email = f"poller{number}@example.com"
            user = User(email=email, password_hash=password_hash)
            session.add(user)
            session.flush()
            run = Run(
                user_id=user.id,
                phase=Phase.GENERATING,
                intent="a harbour at dusk",
                current_prompt=critique.revised_prompt,
                next_index=2,
                max_iterations=5,
                status_note="Iteration 2 scored 7.1; generating iteration 3 of 5",
            )
            session.add(run)
            session.flush()
            for position, sha in enumerate(ref_shas):
                session.add(
                    ReferenceImage(
                        run_id=run.id, position=position, blob_sha=sha, filename=f"r{position}.jpg"
                    )
                )
            session.add(
                ProfileVersion(
                    run_id=run.id,
                    version=1,
                    source="extracted",
                    data=profile.model_dump(mode="json"),
                )
            )
            for index in range(2):
                session.add(
                    Iteration(
                        run_id=run.id,
                        index=index,
                        prompt=prompt,
                        image_sha=image_sha,
                        score=critique.score,
                        breakdown=[[d, critique.breakdown[d]] for d in CRITIQUE_DIMENSIONS],
                        reasoning=critique.reasoning,
                        revised_prompt=critique.revised_prompt,
                        candidates=[
                            {"image_sha": image_sha, "score": critique.score, "chosen": True}
                        ],
                        generate_seconds=0.2,
                        critique_seconds=0.07,
                        usage=[],
                    )
                )
            session.flush()
            accounts.append((email, run.id, run.public_id))
    return accounts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


async def login(client: httpx.AsyncClient, email: str) -> None:
    page = await client.get("/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    response = await client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise RuntimeError(f"login failed for {email}: {response.status_code}")


async def poller(
    client: httpx.AsyncClient, public_id: str, interval: float, until: float, start_at: float
) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    url = f"/runs/{public_id}/status"
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            # as htmx does: ask with the URL the last partial carried; 204 leaves it as it is
            response = await client.get(url, headers={"HX-Request": "true"})
            elapsed = time.perf_counter() - started
            if response.status_code == 204:
                latencies.append(elapsed)
            elif response.status_code not in (200, 286) or "iteration" not in response.text:
                errors.append(f"HTTP {response.status_code}")
            else:
                latencies.append(elapsed)
                found = HX_GET.search(response.text)
                url = html.unescape(found.group(1)) if found else url
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
    return latencies, errors


async def load(base: str, accounts: list[tuple[str, int, str]], seconds: float, interval: float):
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, limits=limits, timeout=10) for _ in accounts]
    try:
        # log everyone in first (password hashing is deliberately slow), then measure polling
        for batch in range(0, len(clients), 10):
            await asyncio.gather(
                *(
                    login(client, email)
                    for client, (email, _, _) in list(zip(clients, accounts, strict=True))[
                        batch : batch + 10
                    ]
                )
            )
        # stagger the pollers over one interval, as real page loads would be
        start_at = time.monotonic() + 1.0
        until = start_at + interval + seconds
        return await asyncio.gather(
            *(
                poller(client, public_id, interval, until, start_at + interval * k / len(accounts))
                for k, (client, (_, _, public_id)) in enumerate(zip(clients, accounts, strict=True))
            )
        )
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


class Generating:
    """A worker and the wire gateway moving some seeded runs on while they are polled."""

    def __init__(self, url: str, env: dict[str, str], run_ids: list[int]) -> None:
        from tests.support.gateway_server import FakeGateway

        self.url, self.run_ids = url, run_ids
        self.gateway = FakeGateway(
            render_size=256, latency={"generate": 2.0, "critique": 1.0, "compare": 1.0}, cheap=True
        ).start()
        worker_env = {
            **env,
            "TASTELOOP_ENGINE": "gateway",
            "BASE_URL": self.gateway.base_url,
            "API_KEY": "bench",
            "TASTELOOP_WORKER_THREADS": str(max(1, len(run_ids))),
        }
        with get_database(url).session() as session:
            for run_id in run_ids:  # three more iterations, never converging or gating
                run = session.get(Run, run_id)
                assert run is not None
                run.max_iterations, run.threshold, run.gate_low = 5, 9.9, 9.8
        from tests.support.stack import spawn_worker

        self.worker = spawn_worker(worker_env)
        import redis as redis_lib

        from jobs.queue import enqueue_for

        conn = redis_lib.Redis.from_url(env["REDIS_URL"])
        for run_id in run_ids:
            enqueue_for(run_id, Phase.GENERATING, conn)

    def stop(self) -> dict:
        self.worker.terminate()
        try:
            self.worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.worker.kill()
        self.gateway.stop()
        with get_database(self.url).session() as session:
            made = session.scalar(
                select(func.count(Iteration.id)).where(
                    Iteration.run_id.in_(self.run_ids), Iteration.index >= 2
                )
            )
        return {"iterations_made_while_polled": made}


def start_generating(url: str, env: dict[str, str], run_ids: list[int]) -> Generating | None:
    return Generating(url, env, run_ids) if run_ids else None


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(
    pollers: int, seconds: float, interval: float, workers: int, generating: int = 0
) -> dict:
    """`generating` of the runs really generate while they are polled: a threaded worker moves
    them on through the wire gateway (cheap mode, 2 s + 1 s per iteration); the rest wait."""
    with tempfile.TemporaryDirectory(prefix="tasteloop-load-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'load.db'}"
        upgrade(url)
        accounts = seed_database(url, pollers)
        redis_server = EmbeddedRedis(folder / "redis", persist=False).start()
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": redis_server.url,
            "TASTELOOP_DATA_DIR": str(folder),
            "TASTELOOP_SECRET_KEY": "load-test-secret",
            "TASTELOOP_LOGIN_ATTEMPTS": "1000",
        }
        background = start_generating(url, env, [run_id for _, run_id, _ in accounts[:generating]])
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "webapp:create_app()",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/login")
            results = asyncio.run(load(base, accounts, seconds, interval))
        finally:
            server.terminate()
            server.wait(timeout=20)
            progress = background.stop() if background else {}
            redis_server.stop()
    latencies = [x for lat, _ in results for x in lat]
    errors = [e for _, errs in results for e in errs]
    busy = [x for lat, _ in results[:generating] for x in lat]
    return {
        "pollers": pollers,
        "generating": generating,
        **progress,
        **({"p95_ms_generating_pollers": round(1000 * percentile(busy, 0.95), 2)} if busy else {}),
        "seconds": seconds,
        "interval_s": interval,
        "gunicorn": f"{workers} workers x 4 threads (gthread)",
        "requests": len(latencies) + len(errors),
        "requests_per_s": round((len(latencies) + len(errors)) / seconds, 1),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p95_ms": round(1000 * percentile(latencies, 0.95), 2),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 2),
        "max_ms": round(1000 * max(latencies), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pollers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=1.5)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--generating", type=int, default=0, help="runs really generating")
    args = parser.parse_args()
    figures = repeated(
        args.repeats, args.pollers, args.seconds, args.interval, args.workers, args.generating
    )
    print(json.dumps(figures, indent=2))


def repeated(
    repeats: int,
    pollers: int = 100,
    seconds: float = 30,
    interval: float = 1.5,
    workers: int = 2 * (os.cpu_count() or 1) + 1,
    generating: int = 0,
) -> dict:
    """The median of each figure over `repeats` fresh servers."""
    runs = [measure(pollers, seconds, interval, workers, generating) for _ in range(repeats)]
    summary = {
        k: v
        for k, v in runs[0].items()
        if not k.endswith("_ms")
        and k not in ("requests", "requests_per_s", "errors", "error_kinds")
    }
    summary["repeats"] = repeats
    summary["errors_total"] = sum(r["errors"] for r in runs)
    medianed = ["requests_per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms"]
    medianed += [
        k for k in ("p95_ms_generating_pollers", "iterations_made_while_polled") if k in runs[0]
    ]
    for key in medianed:
        summary[key] = statistics.median(r[key] for r in runs)
        summary[f"{key}_all"] = [r[key] for r in runs]
    return summary


if __name__ == "__main__":
    main()
