"""htmx conventions: a polled partial keeps polling with 200, stops with 286, and is left as it
is with 204 (htmx swaps nothing on 204 and the polling trigger stays)."""

from __future__ import annotations

from flask import Response

POLL_STOP = 286  # htmx stops polling on this status and still swaps the body


def poll_response(body: str, keep_polling: bool) -> Response:
    return Response(body, status=200 if keep_polling else POLL_STOP)


def poll_unchanged() -> Response:
    return Response(status=204)
