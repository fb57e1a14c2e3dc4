"""Image generation through an OpenAI-compatible gateway, with defensive response parsing.

Image models put their output in different places. We look, in order, at:
1. `message.images[*].image_url.url` (OpenRouter style; the SDK keeps it in `model_extra`),
2. `message.content` as a list of parts (`image_url`, `output_image`, `image` with base64),
3. a data URL or markdown image inside text content,
4. an http(s) image URL in any of the above (fetched only from public addresses, see
   `tasteloop.safe_fetch`),
and, when selected, the `images.generate` endpoint's `data[i].b64_json` / `url`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from tasteloop.client import (
    GatewayClients,
    TransientError,
    call_slots,
    call_with_retries,
    make_clients,
    usage_from_completion,
)
from tasteloop.config import EngineSettings
from tasteloop.engine_types import GeneratedImage
from tasteloop.images import ImageError, decode_image, sniff_mime
from tasteloop.safe_fetch import FetchPolicy, fetch_image_url

MAX_FETCH_BYTES = 25 * 1024 * 1024
DEFAULT_POLICY = FetchPolicy(max_bytes=MAX_FETCH_BYTES)
_DATA_URL = re.compile(r"data:(image/[a-zA-Z0-9.+-]+);base64,([A-Za-z0-9+/=\s]+)")
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\((\S+?)\)")
_HTTP_URL = re.compile(r"https?://\S+?\.(?:png|jpe?g|webp|gif)(?:\?\S*)?", re.IGNORECASE)

PROBE_PROMPT = "Generate a test image of a red circle"


class NoImageError(ValueError):
    """The response held no image anywhere we know to look."""


@dataclass(frozen=True)
class FoundImage:
    data: bytes
    mime_type: str
    location: str


def _as_dict(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    return obj


def trimmed_dump(response: Any, limit: int = 1500) -> str:
    try:
        text = json.dumps(_as_dict(response), default=str)
    except (TypeError, ValueError):
        text = repr(response)
    text = _DATA_URL.sub(lambda m: f"data:{m.group(1)};base64,<{len(m.group(2))} chars>", text)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def _decode_data_url(url: str) -> tuple[bytes, str] | None:
    match = _DATA_URL.match(url.strip())
    if not match:
        return None
    try:
        return base64.b64decode(re.sub(r"\s", "", match.group(2)), validate=True), match.group(1)
    except (binascii.Error, ValueError):
        return None


def _from_url(url: str, location: str, policy: FetchPolicy) -> FoundImage | None:
    decoded = _decode_data_url(url)
    if decoded:
        return FoundImage(decoded[0], decoded[1], f"{location} (data URL)")
    if url.startswith(("http://", "https://")):
        data = fetch_image_url(url, policy)
        return FoundImage(data, sniff_mime(data), f"{location} (fetched {url[:80]})")
    return None


def _url_of(part: Any) -> str | None:
    part = _as_dict(part)
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return None
    image_url = part.get("image_url")
    if isinstance(image_url, dict):
        return image_url.get("url")
    if isinstance(image_url, str):
        return image_url
    if isinstance(part.get("url"), str):
        return part["url"]
    for key in ("b64_json", "data", "image_base64", "result"):
        value = part.get(key)
        if isinstance(value, str) and len(value) > 100:
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


def find_image_in_chat(response: Any, *, policy: FetchPolicy = DEFAULT_POLICY) -> FoundImage:
    """Locate an image in a chat completion, or raise NoImageError with the response."""
    choices = getattr(response, "choices", None) or []
    for c, choice in enumerate(choices):
        message = getattr(choice, "message", None)
        if message is None:
            continue
        images = getattr(message, "images", None)
        if images is None:
            images = (getattr(message, "model_extra", None) or {}).get("images")
        for i, part in enumerate(images or []):
            url = _url_of(part)
            if url:
                found = _from_url(url, f"choices[{c}].message.images[{i}]", policy)
                if found:
                    return found
        content = getattr(message, "content", None)
        if isinstance(content, list):
            for i, part in enumerate(content):
                part_dict = _as_dict(part)
                kind = part_dict.get("type") if isinstance(part_dict, dict) else None
                if kind == "text" and isinstance(part_dict.get("text"), str):
                    found = _from_text(
                        part_dict["text"], f"choices[{c}].message.content[{i}]", policy
                    )
                else:
                    url = _url_of(part_dict)
                    found = (
                        _from_url(url, f"choices[{c}].message.content[{i}]", policy)
                        if url
                        else None
                    )
                if found:
                    return found
        elif isinstance(content, str) and content:
            found = _from_text(content, f"choices[{c}].message.content", policy)
            if found:
                return found
    raise NoImageError(f"the model answered without an image; response: {trimmed_dump(response)}")


def find_image_in_images_response(
    response: Any, *, policy: FetchPolicy = DEFAULT_POLICY
) -> FoundImage:
    for i, item in enumerate(getattr(response, "data", None) or []):
        b64 = getattr(item, "b64_json", None)
        if b64:
            data = base64.b64decode(b64)
            return FoundImage(data, sniff_mime(data), f"data[{i}].b64_json")
        url = getattr(item, "url", None)
        if url:
            found = _from_url(url, f"data[{i}].url", policy)
            if found:
                return found
    raise NoImageError(f"images.generate returned no image; response: {trimmed_dump(response)}")


def _check_image(found: FoundImage, response: Any) -> FoundImage:
    try:
        decode_image(found.data, max_bytes=MAX_FETCH_BYTES)
    except ImageError as exc:
        raise NoImageError(
            f"the image at {found.location} is unusable ({exc.reason}); "
            f"response: {trimmed_dump(response)}"
        ) from None
    return found


class GatewayGenerator:
    def __init__(self, clients: GatewayClients) -> None:
        self.clients = clients
        self.model = clients.settings.image_model

    def _request(self, prompt: str, seed: int) -> tuple[FoundImage, Any]:
        settings = self.clients.settings
        if settings.images_api:
            response = self.clients.raw.images.generate(
                model=self.model, prompt=prompt, n=1, response_format="b64_json"
            )
            found = find_image_in_images_response(response, policy=settings.fetch_policy)
            return _check_image(found, response), response
        response = self.clients.raw.chat.completions.create(
            model=self.model,
            messages=[{"role": "user", "content": prompt}],
            seed=seed,
            extra_body={"modalities": ["image", "text"]},
        )
        found = find_image_in_chat(response, policy=settings.fetch_policy)
        return _check_image(found, response), response

    def generate(self, prompt: str, *, seed: int = 0) -> GeneratedImage:
        started = time.perf_counter()

        # A response with no image is retried too: image models do this intermittently.
        def attempt_or_retry_empty() -> tuple[FoundImage, Any]:
            try:
                return self._request(prompt, seed)
            except NoImageError as exc:
                raise TransientError(str(exc)) from exc

        found, response = call_with_retries(
            attempt_or_retry_empty,
            attempts=self.clients.settings.max_retries,
            what="image generation",
            slots=call_slots(self.clients.settings.max_concurrent_calls),
        )
        usage = usage_from_completion(
            "generate", self.model, time.perf_counter() - started, response
        )
        return GeneratedImage(data=found.data, mime_type=found.mime_type, usage=(usage,))


def probe_gateway(settings: EngineSettings, *, images_api: bool = False) -> str:
    clients = make_clients(settings)
    if images_api:
        response = clients.raw.images.generate(
            model=settings.image_model, prompt=PROBE_PROMPT, n=1, response_format="b64_json"
        )
        found = find_image_in_images_response(response)
    else:
        response = clients.raw.chat.completions.create(
            model=settings.image_model,
            messages=[{"role": "user", "content": PROBE_PROMPT}],
            extra_body={"modalities": ["image", "text"]},
        )
        found = find_image_in_chat(response, policy=settings.fetch_policy)
    image = decode_image(found.data, max_bytes=MAX_FETCH_BYTES)
    return (
        f"image found at {found.location}: {found.mime_type}, {image.width}×{image.height}, "
        f"{len(found.data)} bytes (model {settings.image_model})"
    )
