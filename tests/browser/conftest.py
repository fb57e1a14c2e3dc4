"""A live tasteloop started the way `make run` starts it, and a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.serve_process import free_port, wait_until_serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            # one worker runs them all, against one live server
            item.add_marker(pytest.mark.xdist_group("browser"))
            if CHROMIUM is None:
                item.add_marker(
                    pytest.mark.skip(
                        reason="Chromium not installed (apt-get install chromium); browser tests skipped"
                    )
                )


def pytest_report_header(config):
    if CHROMIUM is None:
        return "browser tests: SKIPPED — Chromium not found (apt-get install chromium)"
    return f"browser tests: Chromium at {CHROMIUM}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Chromium not installed")
    data_dir = tmp_path_factory.mktemp("live-data")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "TEST_DATABASE_URL", "BASE_URL", "API_KEY")
    }
    env.update(
        TASTELOOP_DATA_DIR=str(data_dir),
        PORT=str(port),
        TASTELOOP_ENGINE="offline",
        TASTELOOP_ADMIN_EMAILS="",
        PYTHONUNBUFFERED="1",
    )
    log = open(data_dir / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp.serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(process, url, lambda: (data_dir / "server.log").read_text())
    yield {"url": url, "env": env, "data_dir": data_dir}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_factory(chromium):
    contexts = []

    def make(width: int = 1440, height: int = 1000):
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(45_000)
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
    if os.environ.get("TASTELOOP_UPDATE_SCREENSHOTS") == "1":
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(SCREENSHOTS / f"{name}.png", docs / f"{name}.png")
