"""htmx conventions: a polled partial keeps polling with 200 and stops with 286."""

from __future__ import annotations

from flask import Response

POLL_STOP = 286  # htmx stops polling on this status and still swaps the body


def poll_response(body: str, keep_polling: bool) -> Response:
    return Response(body, status=200 if keep_polling else POLL_STOP)
