"""Image generation through an OpenAI-compatible gateway.

Three endpoints (TASTELOOP_IMAGE_ENDPOINT): chat completions with image output (the default;
`modalities: ["image", "text"]`, without which Gemini image models answer with text only), the
OpenAI images API, and OpenRouter's dedicated `POST /images`, where image-only models
(gpt-image-*, seedream, …) answer. Where each reply keeps its image is `reply_shapes`' job.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import openai

from tasteloop.config import EngineSettings
from tasteloop.domain.engine import NO_INPUTS, GeneratedImage, GenerationInputs
from tasteloop.domain.shape import SQUARE, PictureShape
from tasteloop.gateway.client import (
    GatewayClients,
    GatewayError,
    TransientError,
    call_slots,
    call_with_retries,
    describe_error,
    make_clients,
    root_cause,
    usage_from_completion,
)
from tasteloop.gateway.replies import (
    FoundImage,
    NoImageError,
    clean_image,
    find_image_in_chat,
    find_image_in_images_response,
)
from tasteloop.gateway.safe_fetch import FetchPolicy
from tasteloop.images import EXTRACTION_SIDE, data_url_for_model, decode_image, encode

__all__ = ["GatewayGenerator", "NoImageError", "find_image_in_chat", "probe_gateway"]

PROBE_PROMPT = "Generate a test image of a red circle"


def _rejects_response_format(model: str) -> bool:
    """GPT image models always answer base64 and refuse the `response_format` parameter."""
    return "gpt-image" in model.lower()


STYLE_INSTRUCTION = (
    "The attached reference images show the style to paint in: take their palette, light, "
    "mark-making, texture and habits of composition. Never copy their subjects, objects, "
    "people, places or scenes: paint only what the prompt asks for."
)
EMPHASIS_INSTRUCTION = (
    "The references come in order of emphasis (weights {weights}): follow the first most closely."
)
EDIT_INSTRUCTION = (
    "The first attached image is the best attempt so far: edit it so that it follows the "
    "prompt, keeping what already works."
)
# The OpenAI images API takes a size from its list (gpt-image-1's), not a ratio: the nearest.
IMAGES_API_SIZES = {"1024x1024": 1.0, "1536x1024": 1.5, "1024x1536": 1024 / 1536}
IMAGES_API_LONGEST = 1536


def images_api_size(shape: PictureShape) -> str:
    return min(IMAGES_API_SIZES, key=lambda k: abs(math.log(IMAGES_API_SIZES[k] / shape.ratio)))


def shape_problem(settings: EngineSettings, shape: PictureShape) -> str | None:
    """Why this endpoint cannot paint at `shape`, in a sentence; None when it can."""
    if settings.image_endpoint == "images" and shape.size != "1K":
        return (
            f"The OpenAI images endpoint paints at most {IMAGES_API_LONGEST} px on the long "
            f"side, so {shape.size} is not available with it; choose 1K."
        )
    return None


# A 4xx here, with images attached, means "not with images": the same request as text alone
# is worth one try. 401/403/429 are about the account, not the images.
_REFUSES_INPUTS = (400, 404, 413, 415, 422)


@dataclass(frozen=True)
class Request:
    """What one generation request carries: the text, and the images beside it."""

    prompt: str
    seed: int
    edit_from: bytes | None = None
    references: tuple[bytes, ...] = ()
    emphasis: tuple[float, ...] = ()  # the references' weights, when a person set them
    shape: PictureShape = SQUARE

    @property
    def images(self) -> list[bytes]:
        return ([self.edit_from] if self.edit_from else []) + list(self.references)

    @property
    def text(self) -> str:
        if not self.images:
            return self.prompt
        lines = [EDIT_INSTRUCTION] if self.edit_from else []
        if self.references:
            lines.append(STYLE_INSTRUCTION)
            if self.emphasis:
                weights = ", ".join(f"{w:g}" for w in self.emphasis)
                lines.append(EMPHASIS_INSTRUCTION.format(weights=weights))
        return "\n".join(lines) + f"\n\nPrompt: {self.prompt}"

    def data_urls(self) -> list[str]:
        return [data_url_for_model(image, EXTRACTION_SIDE) for image in self.images]

    def text_only(self) -> Request:
        return Request(self.prompt, self.seed, shape=self.shape)


def refuses_inputs(exc: BaseException) -> bool:
    cause = root_cause(exc)
    return isinstance(cause, openai.APIStatusError) and cause.status_code in _REFUSES_INPUTS


class GatewayGenerator:
    def __init__(self, clients: GatewayClients) -> None:
        self.clients = clients
        self.model = clients.settings.image_model

    def _ask(self, request: Request) -> tuple[FoundImage, Any]:
        settings = self.clients.settings
        policy = FetchPolicy.for_settings(settings)
        if settings.image_endpoint == "openrouter":
            body: dict[str, Any] = {
                "model": self.model,
                "prompt": request.text,
                "n": 1,
                "aspect_ratio": request.shape.aspect,
                "resolution": request.shape.size,
            }
            if request.images:
                body["input_references"] = request.data_urls()
            response = self.clients.raw.post("/images", body=body, cast_to=object)
            return find_image_in_images_response(response, policy=policy), response
        if settings.image_endpoint == "images":
            extra: dict[str, Any] = (
                {} if _rejects_response_format(self.model) else {"response_format": "b64_json"}
            )
            extra["size"] = images_api_size(request.shape)
            if request.images:
                files = [
                    (
                        f"image-{k}.png",
                        encode(decode_image(data, max_side=EXTRACTION_SIDE), "PNG"),
                        "image/png",
                    )
                    for k, data in enumerate(request.images)
                ]
                response = self.clients.raw.images.edit(
                    model=self.model, image=files, prompt=request.text, n=1, **extra
                )
            else:
                response = self.clients.raw.images.generate(
                    model=self.model, prompt=request.text, n=1, **extra
                )
            return find_image_in_images_response(response, policy=policy), response
        content: str | list[dict[str, Any]] = request.text
        if request.images:
            content = [{"type": "text", "text": request.text}] + [
                {"type": "image_url", "image_url": {"url": url}} for url in request.data_urls()
            ]
        response = self.clients.raw.chat.completions.create(
            model=self.model,
            messages=[{"role": "user", "content": content}],
            seed=request.seed,
            extra_body={
                "modalities": ["image", "text"],
                "image_config": {
                    "aspect_ratio": request.shape.aspect,
                    "image_size": request.shape.size,
                },
            },
        )
        return find_image_in_chat(response, policy=policy), response

    def request(self, prompt: str, seed: int) -> tuple[FoundImage, Any]:
        return self.send(Request(prompt, seed))

    def send(self, request: Request) -> tuple[FoundImage, Any]:
        found, response = self._ask(request)
        return clean_image(found, response), response

    def _request_for(self, prompt: str, seed: int, inputs: GenerationInputs) -> Request:
        settings = self.clients.settings
        return Request(
            prompt,
            seed,
            edit_from=inputs.edit_from if settings.refine == "edit" else None,
            references=inputs.references if settings.style_references else (),
            emphasis=inputs.emphasis if settings.style_references else (),
            shape=inputs.shape,
        )

    def _with_retries(self, request: Request) -> tuple[FoundImage, Any]:
        # A response with no image is retried too: image models do this intermittently.
        # A refusal is not (reply_shapes raises Refusal, which is never retried).
        def attempt_or_retry_empty() -> tuple[FoundImage, Any]:
            try:
                return self.send(request)
            except NoImageError as exc:
                raise TransientError(str(exc)) from exc

        return call_with_retries(
            attempt_or_retry_empty,
            attempts=self.clients.settings.max_retries,
            what="image generation",
            base_delay=self.clients.settings.retry_delay_s,
            slots=call_slots(self.clients.settings.max_concurrent_calls),
        )

    def generate(
        self, prompt: str, *, seed: int = 0, inputs: GenerationInputs = NO_INPUTS
    ) -> GeneratedImage:
        started = time.perf_counter()
        request = self._request_for(prompt, seed, inputs)
        refused: str | None = None
        try:
            found, response = self._with_retries(request)
        except GatewayError as exc:
            if not request.images or not refuses_inputs(exc):
                raise
            refused = (
                f"The image model refused images beside the prompt ({describe_error(exc)}); "
                "this run paints from the text alone."
            )[:500]
            request = request.text_only()
            found, response = self._with_retries(request)
        usage = usage_from_completion(
            "generate", self.model, time.perf_counter() - started, response
        )
        return GeneratedImage(
            data=found.data,
            mime_type=found.mime_type,
            usage=(usage,),
            references_sent=len(request.references),
            edited=request.edit_from is not None,
            inputs_refused=refused,
        )


def probe_gateway(settings: EngineSettings) -> str:
    found, _ = GatewayGenerator(make_clients(settings)).request(PROBE_PROMPT, 0)
    image = decode_image(found.data)
    return (
        f"image found at {found.location} ({settings.image_endpoint} endpoint): "
        f"{image.width}×{image.height}, {len(found.data)} bytes as clean PNG "
        f"(model {settings.image_model})"
    )
