"""However many uploads arrive at once, a process decodes a bounded number of files at a time
(three concurrent 40-megapixel PNG uploads once took the web process from 170 MB to 1.6 GB)."""

from __future__ import annotations

import threading
import time

import store.uploads as uploads
from tests.support.images import png_bytes


def test_concurrent_uploads_decode_a_bounded_number_of_files_at_once(monkeypatch):
    real = uploads.reencode_upload
    state = {"now": 0, "most": 0}
    lock = threading.Lock()

    def observed(data: bytes, *, name: str | None = None):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            time.sleep(0.05)  # a decode that takes a while, as a large file's does
            return real(data, name=name)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(uploads, "reencode_upload", observed)
    files = [(f"ref{i}.png", png_bytes(color=(40 * i, 90, 120))) for i in range(3)]
    threads = [threading.Thread(target=uploads.validate_uploads, args=(files,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert state["most"] == uploads.MAX_CONCURRENT_DECODES
