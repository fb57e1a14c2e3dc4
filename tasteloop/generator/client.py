"""Image generation through an OpenAI-compatible gateway.

Three endpoints (TASTELOOP_IMAGE_ENDPOINT): chat completions with image output (the default;
`modalities: ["image", "text"]`, without which Gemini image models answer with text only), the
OpenAI images API, and OpenRouter's dedicated `POST /images`, where image-only models
(gpt-image-*, seedream, …) answer. Where each reply keeps its image is `reply_shapes`' job.
"""

from __future__ import annotations

import time
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
from tasteloop.generator.reply_shapes import (
    FoundImage,
    NoImageError,
    clean_image,
    find_image_in_chat,
    find_image_in_images_response,
)
from tasteloop.images import decode_image

__all__ = ["GatewayGenerator", "NoImageError", "find_image_in_chat", "probe_gateway"]

PROBE_PROMPT = "Generate a test image of a red circle"


def _rejects_response_format(model: str) -> bool:
    """GPT image models always answer base64 and refuse the `response_format` parameter."""
    return "gpt-image" in model.lower()


class GatewayGenerator:
    def __init__(self, clients: GatewayClients) -> None:
        self.clients = clients
        self.model = clients.settings.image_model

    def _ask(self, prompt: str, seed: int) -> tuple[FoundImage, Any]:
        settings = self.clients.settings
        policy = settings.fetch_policy
        if settings.image_endpoint == "openrouter":
            response = self.clients.raw.post(
                "/images", body={"model": self.model, "prompt": prompt, "n": 1}, cast_to=object
            )
            return find_image_in_images_response(response, policy=policy), response
        if settings.image_endpoint == "images":
            extra: dict[str, Any] = (
                {} if _rejects_response_format(self.model) else {"response_format": "b64_json"}
            )
            response = self.clients.raw.images.generate(
                model=self.model, prompt=prompt, n=1, **extra
            )
            return find_image_in_images_response(response, policy=policy), response
        response = self.clients.raw.chat.completions.create(
            model=self.model,
            messages=[{"role": "user", "content": prompt}],
            seed=seed,
            extra_body={"modalities": ["image", "text"]},
        )
        return find_image_in_chat(response, policy=policy), response

    def request(self, prompt: str, seed: int) -> tuple[FoundImage, Any]:
        found, response = self._ask(prompt, seed)
        return clean_image(found, response), response

    def generate(self, prompt: str, *, seed: int = 0) -> GeneratedImage:
        started = time.perf_counter()

        # A response with no image is retried too: image models do this intermittently.
        # A refusal is not (reply_shapes raises Refusal, which is never retried).
        def attempt_or_retry_empty() -> tuple[FoundImage, Any]:
            try:
                return self.request(prompt, seed)
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


def probe_gateway(settings: EngineSettings) -> str:
    found, _ = GatewayGenerator(make_clients(settings)).request(PROBE_PROMPT, 0)
    image = decode_image(found.data)
    return (
        f"image found at {found.location} ({settings.image_endpoint} endpoint): "
        f"{image.width}×{image.height}, {len(found.data)} bytes as clean PNG "
        f"(model {settings.image_model})"
    )
