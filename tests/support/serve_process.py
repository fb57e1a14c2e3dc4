"""Start `python -m webapp.serve` (what `make run` runs) as a real process for a test."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Callable
from subprocess import Popen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(
    process: Popen, url: str, output: Callable[[], str], timeout: float = 60.0
) -> None:
    """Return once `url` answers; raise with the server's output if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"webapp.serve exited with {process.returncode}:\n{output()}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"webapp.serve did not answer {url} within {timeout:.0f} s")
