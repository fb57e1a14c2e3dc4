"""Serving stored image bytes once the caller has checked the viewer may see them."""

from __future__ import annotations

from flask import Response, abort, request

from store.models import Blob
from webapp.db import db_session


def blob_response(blob: Blob, download_name: str | None = None) -> Response:
    response = Response(blob.data, mimetype=blob.mime_type)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["ETag"] = f'"{blob.sha256}"'
    if download_name:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response


def serve_blob(sha: str) -> Response:
    """The image itself, or 304 when the browser already has it (blobs never change)."""
    if request.headers.get("If-None-Match") == f'"{sha}"':
        return Response(status=304)
    blob = db_session().get(Blob, sha)
    if blob is None:
        abort(404)
    return blob_response(blob)
