"""Serving stored image bytes once the caller has checked the viewer may see them.

A page shows a picture at the width it is drawn (`?w=` one of SIZES): a JPEG made from the stored
image on first asking and kept in a small in-process cache, so a history of 72 px thumbnails or
a run page of iteration cards does not carry the full 1024 px PNGs. Without `w` (or following a
picture's link, or downloading) the stored image itself is served.
"""

from __future__ import annotations

import functools

from flask import Response, abort, request

from store.models import Blob
from tasteloop.images import decode_image, encode
from webapp.db import db_session

# widths in CSS pixels × 2 for sharp screens: thumbnails, reference tiles, cards
SIZES = (160, 320, 640, 1024)
CACHED = 512  # sized pictures kept in memory, about 30 KB each at 320 px


def blob_response(blob: Blob, download_name: str | None = None) -> Response:
    response = Response(blob.data, mimetype=blob.mime_type)
    _cache_forever(response, f'"{blob.sha256}"')
    if download_name:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response


# what a person can download a picture as: (Pillow format, MIME type, file extension)
DOWNLOAD_FORMATS = {
    "png": ("PNG", "image/png", "png"),
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "webp": ("WEBP", "image/webp", "webp"),
}


def download_response(blob: Blob, stem: str, fmt: str | None = None) -> Response:
    """The full-size picture as an attachment named `stem`: the stored bytes, or re-encoded in
    `fmt` (a DOWNLOAD_FORMATS key; JPEG and WebP at quality 92)."""
    stored = next((k for k, v in DOWNLOAD_FORMATS.items() if v[1] == blob.mime_type), "png")
    if fmt is None or fmt == stored:
        return blob_response(blob, f"{stem}.{DOWNLOAD_FORMATS[stored][2]}")
    pil_format, mime, extension = DOWNLOAD_FORMATS[fmt]
    data = encode(decode_image(blob.data), pil_format, quality=92)
    response = Response(data, mimetype=mime)
    _cache_forever(response, f'"{blob.sha256}-{fmt}"')
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


def _cache_forever(response: Response, etag: str) -> None:
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["ETag"] = etag


@functools.lru_cache(maxsize=CACHED)
def _sized(sha: str, width: int) -> tuple[bytes, str] | None:
    """The picture at most `width` wide and high; the stored bytes when they are no bigger."""
    blob = db_session().get(Blob, sha)
    if blob is None:
        return None
    smaller = encode(decode_image(blob.data, max_side=width), "JPEG", quality=85)
    if len(smaller) >= len(blob.data):
        return blob.data, blob.mime_type
    return smaller, "image/jpeg"


def requested_width() -> int | None:
    raw = request.args.get("w", "")
    return int(raw) if raw.isdigit() and int(raw) in SIZES else None


def serve_blob(sha: str) -> Response:
    """The image (at the requested width), or 304 when the browser already has it (blobs never
    change)."""
    width = requested_width()
    etag = f'"{sha}"' if width is None else f'"{sha}-w{width}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304)
    if width is None:
        blob = db_session().get(Blob, sha)
        if blob is None:
            abort(404)
        return blob_response(blob)
    sized = _sized(sha, width)
    if sized is None:
        abort(404)
    response = Response(sized[0], mimetype=sized[1])
    _cache_forever(response, etag)
    return response
