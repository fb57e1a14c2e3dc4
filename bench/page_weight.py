"""What a run page and the history page transfer: the HTML and every picture they draw, as
drawn now (each at the width it is shown) and as the full stored images (what the pages drew
before sized pictures).

One real offline run of five iterations from three shared references, and a history of twenty
runs (the other nineteen of one iteration each: history draws one picture a run), as a list and
as a gallery; the comparison of two iterations. `python -m bench.page_weight`
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from rq import SimpleWorker

from jobs.embedded_redis import EmbeddedRedis
from jobs.queue import queue
from store.migrate import upgrade
from tests.support.web import Browser
from tests.support.webflow import start_run

IMG = re.compile(r'<img src="([^"]+)"')
RUNS = 20


def _weight(browser: Browser, url: str) -> dict[str, float]:
    html = browser.get(url).get_data(as_text=True)
    # each address once: a browser fetches a picture shown twice (the result above, and on its
    # iteration's card) once
    sources = list(dict.fromkeys(s.replace("&amp;", "&") for s in IMG.findall(html)))
    drawn = sum(len(browser.get(s).data) for s in sources)
    full = sum(len(browser.get(s.split("?", 1)[0]).data) for s in sources)
    page = len(html.encode())
    return {
        "pictures": len(sources),
        "now KB": round((page + drawn) / 1024, 1),
        "with full images KB": round((page + full) / 1024, 1),
    }


def main() -> None:
    from webapp import create_app

    work = Path(tempfile.mkdtemp(prefix="tasteloop-weight-"))
    url = f"sqlite:///{work / 'bench.db'}"
    upgrade(url)
    redis = EmbeddedRedis(work / "redis").start()
    os.environ.update({"DATABASE_URL": url, "REDIS_URL": redis.url, "TASTELOOP_ENGINE": "offline"})
    try:
        app = create_app({"DATA_DIR": work / "data", "DATABASE_URL": url, "SECRET_KEY": "b"})
        browser = Browser(app.test_client())
        browser.register("weight@example.com")
        conn = __import__("redis").Redis.from_url(redis.url)
        run_ids = []
        for k in range(RUNS):
            run_id, _ = start_run(
                browser,
                conn,
                threshold="9.99",
                gate_low="9.98",
                max_iterations="5" if k == 0 else "1",
            )
            SimpleWorker([queue(conn)], connection=conn).work(burst=True)
            run_ids.append(run_id)
            print(f"run {k + 1} of {RUNS} done", flush=True)
        result = {
            "run page (5 iterations)": _weight(browser, f"/runs/{run_ids[0]}"),
            f"history ({RUNS} runs)": _weight(browser, "/history"),
            f"history as a gallery ({RUNS} runs)": _weight(browser, "/history?view=gallery"),
            "two iterations compared": _weight(browser, f"/runs/{run_ids[0]}/compare?a=1&b=5"),
        }
        print(json.dumps(result, indent=1))
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
