"""`python -m jobs.worker`: RQ workers on the tasteloop queue, one per thread (`--threads`,
default TASTELOOP_WORKER_THREADS or 10), plus the abandoned-run sweeper and the heartbeat."""

from __future__ import annotations

import signal
import sys
from types import FrameType


def _quit_while_starting(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    # Importing the worker and reaching Redis and the database takes a second or more (longer on
    # a busy machine); a Ctrl-C or SIGTERM in that window ends it quietly, with nothing started.
    # Once its threads run, WorkerThreads takes the signals over for a warm shutdown.
    signal.signal(signal.SIGINT, _quit_while_starting)
    signal.signal(signal.SIGTERM, _quit_while_starting)
    from jobs.worker_process import main

    sys.exit(main())
