"""Fixtures for the web tests: the app against the local wire gateway."""

import pytest

from tests.support.gateway_server import FakeGateway


@pytest.fixture
def gateway(env, monkeypatch):
    import jobs.tasks

    server = FakeGateway(render_size=256).start()
    monkeypatch.setenv("TASTELOOP_ENGINE", "gateway")
    monkeypatch.setenv("BASE_URL", server.base_url)
    monkeypatch.setenv("API_KEY", "test-key")
    monkeypatch.setenv("TASTELOOP_MAX_RETRIES", "2")
    monkeypatch.setenv("TASTELOOP_TIMEOUT", "5")
    monkeypatch.setenv("TASTELOOP_RETRY_DELAY", "0.02")
    jobs.tasks.engine.cache_clear()
    yield server
    server.stop()
    jobs.tasks.engine.cache_clear()
