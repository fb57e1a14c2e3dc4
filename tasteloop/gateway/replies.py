"""Where image models put their image, and how they say no.

A chat completion is searched, in order:
1. `message.images[*]` (OpenRouter; the SDK keeps it in `model_extra`), last entry first and
   skipping entries flagged `thought: true`: Gemini sends interim "thought" drafts before the
   final image;
2. `message.image` = `{url, detail}` (singular; LiteLLM before 1.77);
3. `message.content` as a list of parts (`image_url`, `output_image`, `image` with base64, …);
4. a data URL or markdown image inside text content;
5. an http(s) image URL in any of the above, fetched only from public addresses
   (`tasteloop.gateway.safe_fetch`).
An images-API reply (`data[i]`) carries `b64_json` (raw base64, or a whole data URL as xAI
sends it), or a `url`.

A reply with no choices, or an empty message whose finish reason is a content filter, is a
refusal: not retried, and the reason is named. docs/gateway-replies.md has the table.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tasteloop.gateway.client import Refusal
from tasteloop.gateway.safe_fetch import FetchPolicy, fetch_image_url
from tasteloop.images import ImageError, decode_image, encode

MAX_IMAGE_BYTES = 25 * 1024 * 1024
DEFAULT_POLICY = FetchPolicy(max_bytes=MAX_IMAGE_BYTES)
_DATA_URL = re.compile(r"data:([a-zA-Z0-9.+-]+/[a-zA-Z0-9.+-]+);base64,([A-Za-z0-9+/=\s]+)")
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\((\S+?)\)")
_HTTP_URL = re.compile(r"https?://\S+?\.(?:png|jpe?g|webp|gif)(?:\?\S*)?", re.IGNORECASE)
# Finish reasons that mean "the provider would not make this image" (OpenAI, Gemini, Vertex,
# Bedrock spellings); compared case-insensitively.
REFUSAL_REASONS = frozenset(
    {
        "content_filter",
        "safety",
        "image_safety",
        "prohibited_content",
        "image_prohibited_content",
        "blocklist",
        "spii",
        "recitation",
        "image_recitation",
        "image_other",
        "no_image",
        "guardrail_intervened",
        "refusal",
    }
)


class NoImageError(ValueError):
    """The response held no usable image anywhere we know to look."""


@dataclass(frozen=True)
class FoundImage:
    data: bytes
    mime_type: str
    location: str


def as_dict(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    return obj


def trimmed_dump(response: Any, limit: int = 1500) -> str:
    try:
        text = json.dumps(as_dict(response), default=str)
    except (TypeError, ValueError):
        text = repr(response)
    text = _DATA_URL.sub(lambda m: f"data:{m.group(1)};base64,<{len(m.group(2))} chars>", text)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def _field(obj: Any, name: str) -> Any:
    """An attribute of an SDK object, or a key of a dict, or one the SDK kept as extra."""
    if isinstance(obj, dict):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None:
        value = (getattr(obj, "model_extra", None) or {}).get(name)
    return value


def _decode_data_url(url: str) -> tuple[bytes, str] | None:
    match = _DATA_URL.match(url.strip())
    if not match:
        return None
    try:
        return base64.b64decode(re.sub(r"\s", "", match.group(2)), validate=True), match.group(1)
    except (binascii.Error, ValueError):
        return None


def decode_b64(value: str, declared: str = "image/png") -> tuple[bytes, str]:
    """Raw base64, or a whole data URL where raw base64 was promised."""
    decoded = _decode_data_url(value)
    if decoded:
        return decoded
    try:
        return base64.b64decode(re.sub(r"\s", "", value), validate=True), declared
    except (binascii.Error, ValueError):
        raise NoImageError("the image's base64 data is corrupt") from None


def _from_url(url: str, location: str, policy: FetchPolicy) -> FoundImage | None:
    decoded = _decode_data_url(url)
    if decoded:
        return FoundImage(decoded[0], decoded[1], f"{location} (data URL)")
    if url.startswith(("http://", "https://")):
        data = fetch_image_url(url, policy)
        return FoundImage(data, "", f"{location} (fetched {url[:80]})")
    return None


def _url_of(part: Any) -> str | None:
    part = as_dict(part)
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return None
    for key in ("image_url", "image"):
        nested = part.get(key)
        if isinstance(nested, dict) and isinstance(nested.get("url"), str):
            return nested["url"]
        if isinstance(nested, str) and nested.startswith(("data:", "http://", "https://")):
            return nested
    if isinstance(part.get("url"), str):
        return part["url"]
    for key in ("b64_json", "data", "image_base64", "result"):
        value = part.get(key)
        if isinstance(value, str) and len(value) > 100:
            if value.startswith("data:"):
                return value
            mime = part.get("mime_type") or part.get("media_type") or "image/png"
            return f"data:{mime};base64,{value}"
    source = part.get("source")
    if isinstance(source, dict) and isinstance(source.get("data"), str):
        return f"data:{source.get('media_type', 'image/png')};base64,{source['data']}"
    return None


def _from_text(text: str, location: str, policy: FetchPolicy) -> FoundImage | None:
    match = _DATA_URL.search(text)
    if match:
        found = _from_url(match.group(0), f"{location} text", policy)
        if found:
            return found
    for pattern in (_MARKDOWN_IMAGE, _HTTP_URL):
        for url in pattern.findall(text):
            if url.startswith(("http://", "https://")):
                return _from_url(url, f"{location} text", policy)
    return None


def _final_images(images: list[Any]) -> Iterator[tuple[int, Any]]:
    """The entries of `message.images`, the final image first and thought drafts never."""
    for i in reversed(range(len(images))):
        part = as_dict(images[i])
        if isinstance(part, dict) and part.get("thought") is True:
            continue
        yield i, part


def _in_message(message: Any, where: str, policy: FetchPolicy) -> FoundImage | None:
    for i, part in _final_images(list(_field(message, "images") or [])):
        url = _url_of(part)
        found = _from_url(url, f"{where}.images[{i}]", policy) if url else None
        if found:
            return found
    single = _field(message, "image")
    if single:
        url = _url_of({"image": single} if isinstance(single, str) else single)
        found = _from_url(url, f"{where}.image", policy) if url else None
        if found:
            return found
    content = _field(message, "content")
    if isinstance(content, list):
        for i, part in enumerate(content):
            part_dict = as_dict(part)
            location = f"{where}.content[{i}]"
            if isinstance(part_dict, dict) and part_dict.get("thought") is True:
                continue
            if isinstance(part_dict, dict) and isinstance(part_dict.get("text"), str):
                found = _from_text(part_dict["text"], location, policy)
            else:
                url = _url_of(part_dict)
                found = _from_url(url, location, policy) if url else None
            if found:
                return found
    elif isinstance(content, str) and content:
        return _from_text(content, f"{where}.content", policy)
    return None


def _refusal_reason(choice: Any) -> str | None:
    for name in ("finish_reason", "native_finish_reason"):
        reason = _field(choice, name)
        if isinstance(reason, str) and reason.strip().lower() in REFUSAL_REASONS:
            return reason.strip()
    message = _field(choice, "message")
    refusal = _field(message, "refusal") if message is not None else None
    return refusal.strip()[:300] if isinstance(refusal, str) and refusal.strip() else None


def find_image_in_chat(response: Any, *, policy: FetchPolicy = DEFAULT_POLICY) -> FoundImage:
    """Locate an image in a chat completion; raise Refusal when the provider declined, and
    NoImageError (with the response) when nothing matches."""
    choices = list(_field(response, "choices") or [])
    if not choices:
        error = _field(response, "error")
        detail = f": {trimmed_dump(error, 300)}" if error else ""
        raise Refusal(f"the image model returned no image and no reason (no choices){detail}")
    for c, choice in enumerate(choices):
        message = _field(choice, "message")
        if message is not None:
            found = _in_message(message, f"choices[{c}].message", policy)
            if found:
                return found
    reasons = [r for r in (_refusal_reason(choice) for choice in choices) if r]
    if reasons:
        raise Refusal(
            f"the image model declined this prompt ({reasons[0]}); change the intent or the "
            "profile's wording and start again"
        )
    raise NoImageError(f"the model answered without an image; response: {trimmed_dump(response)}")


def find_image_in_images_response(
    response: Any, *, policy: FetchPolicy = DEFAULT_POLICY
) -> FoundImage:
    """An images-API reply: `data[i].b64_json` (with `media_type` on OpenRouter) or `url`."""
    for i, item in enumerate(_field(response, "data") or []):
        b64 = _field(item, "b64_json")
        if isinstance(b64, str) and b64:
            declared = _field(item, "media_type") or _field(item, "mime_type") or "image/png"
            data, mime = decode_b64(b64, declared)
            return FoundImage(data, mime, f"data[{i}].b64_json")
        url = _field(item, "url")
        if isinstance(url, str) and url:
            found = _from_url(url, f"data[{i}].url", policy)
            if found:
                return found
    if _field(response, "error"):
        raise Refusal(f"the images endpoint refused: {trimmed_dump(_field(response, 'error'))}")
    raise NoImageError(f"the images endpoint returned no image; response: {trimmed_dump(response)}")


def looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith(b"<svg") or (
        head.startswith((b"<?xml", b"<!doctype")) and b"<svg" in head
    )


def clean_image(found: FoundImage, response: Any) -> FoundImage:
    """The pixels only, as PNG: the bytes decide the type (not the declared one), an SVG is
    refused, and no metadata (EXIF, GPS, text chunks, C2PA) is stored."""
    if looks_like_svg(found.data):
        raise NoImageError(
            f"the model sent an SVG (vector) image at {found.location}; tasteloop takes raster "
            "images only (PNG, JPEG, WebP, GIF)"
        )
    try:
        image = decode_image(found.data, max_bytes=MAX_IMAGE_BYTES)
    except ImageError as exc:
        raise NoImageError(
            f"the image at {found.location} is unusable ({exc.reason}); "
            f"response: {trimmed_dump(response)}"
        ) from None
    return FoundImage(encode(image, "PNG"), "image/png", found.location)
