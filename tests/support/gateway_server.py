"""A local OpenAI-compatible gateway on 127.0.0.1 for tests and benchmarks.

Speaks chat completions (text, vision, image output) and images.generate over real HTTP,
backed by the offline engine so images are real and JSON is coherent. It records every
request, can answer with each image shape seen in the wild, can be scripted to fail in each
way a provider fails, and can add latency per role.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import io
import json
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image, PngImagePlugin

from tasteloop.config import EngineSettings
from tasteloop.domain.engine import Brief
from tasteloop.domain.profile import CRITIQUE_DIMENSIONS, TasteProfile
from tasteloop.domain.shape import ASPECTS, SQUARE, PictureShape, nearest_aspect
from tasteloop.measure.features import measure
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.critic.subject import judge_subject as offline_subject
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator
from tasteloop.offline.intent_reading import read_intent

IMAGE_SHAPES = (
    "images",
    "content_parts",
    "data_url_text",
    "markdown",
    "http_url",
    "image_singular",  # message.image = {url, detail} (LiteLLM before 1.77)
    "thought_images",  # Gemini 3 Pro Image: thought drafts first, the final image last
    "jpeg_declared_png",  # a JPEG with EXIF (GPS, artist) sent as data:image/png
    "webp",
    "png_with_text_chunks",  # a PNG carrying metadata text chunks
)
# images-API reply shapes: raw base64, a whole data URL in b64_json (xAI)
IMAGES_API_SHAPES = ("b64", "b64_data_url")
FAULTS = (
    "500",
    "429",
    "400",
    "hang",
    "malformed",
    "missing_field",
    "out_of_range",
    "no_image",
    "no_choices",  # HTTP 200 with choices: []
    "content_filter",  # an empty message, finish_reason content_filter
    "prohibited",  # Gemini via OpenRouter: native_finish_reason IMAGE_PROHIBITED_CONTENT
    "svg",  # an SVG where an image should be
)
REFUSALS = ("no_choices", "content_filter", "prohibited")
# Gateways where instructor's JSON mode fails: `response_format` refused with HTTP 400, JSON in a
# markdown fence, JSON after a <think> block, `content` as a list of text parts.
JSON_QUIRKS = ("rejects_response_format", "fenced", "think", "parts")
THOUGHT_DRAFT_SIZE = 16
_DATA_URL = re.compile(r"data:image/[a-z]+;base64,([A-Za-z0-9+/=]+)")


@dataclass
class Recorded:
    path: str
    role: str
    body: dict[str, Any]
    headers: dict[str, str]
    fault: str | None = None

    @property
    def text(self) -> str:
        out = []
        for message in self.body.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                out.append(content)
            elif isinstance(content, list):
                out += [p.get("text", "") for p in content if p.get("type") == "text"]
        return "\n".join(out)

    @property
    def image_urls(self) -> list[str]:
        urls = []
        for message in self.body.get("messages", []):
            content = message.get("content")
            if isinstance(content, list):
                urls += [p["image_url"]["url"] for p in content if p.get("type") == "image_url"]
        return urls

    @property
    def input_images(self) -> list[bytes]:
        """Every image the request carried: content parts, OpenRouter's input_references, or
        the files of a multipart images edit."""
        urls = self.image_urls + list(self.body.get("input_references") or [])
        found = [base64.b64decode(_DATA_URL.match(u).group(1)) for u in urls]
        return found + list(self.body.get("files") or [])


# The simulator's answers are deterministic, so each is worked out once per test session: many
# tests send the same references and prompts, and painting or measuring them again is most of
# their time. Keyed by everything the answer depends on.
_answers: dict[tuple[Any, ...], Any] = {}
_answers_lock = threading.Lock()


# what the fake has painted, by a fingerprint that survives resizing and JPEG: a vision model
# that knows its own pictures, so it can say whether one shows what it was asked to paint
_painted: list[tuple[Any, str, int]] = []
_painted_lock = threading.Lock()
FINGERPRINT_SIDE, SAME_PICTURE = 16, 6.0  # mean grey difference (0-255) of the same picture


def _fingerprint(data: bytes) -> Any:
    import numpy as np

    grey = (
        Image.open(io.BytesIO(data))
        .convert("L")
        .resize((FINGERPRINT_SIDE, FINGERPRINT_SIDE), Image.Resampling.BOX)
    )
    return np.asarray(grey, dtype=float)


def _remember_painting(data: bytes, prompt: str, seed: int) -> None:
    with _painted_lock:
        _painted.append((_fingerprint(data), prompt, seed))


def _painting_of(data: bytes) -> tuple[str, int] | None:
    import numpy as np

    seen = _fingerprint(data)
    with _painted_lock:
        known = list(_painted)
    best = min(known, key=lambda k: float(np.abs(k[0] - seen).mean()), default=None)
    if best is None or float(np.abs(best[0] - seen).mean()) > SAME_PICTURE:
        return None
    return best[1], best[2]


def _memo(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    with _answers_lock:
        if key in _answers:
            return copy.deepcopy(_answers[key])
    answer = compute()
    with _answers_lock:
        _answers[key] = answer
    return copy.deepcopy(answer)


@dataclass
class FakeGateway:
    image_shape: str = "images"
    images_api_shape: str = "b64"
    # how structured (JSON) answers come back: None (plain JSON text), or one of JSON_QUIRKS
    json_quirk: str | None = None
    render_size: int = 512
    # role -> seconds: each such call takes at least this long in total (render time included),
    # so a benchmark's floor is exactly the sum of the latencies
    latency: dict[str, float] = field(default_factory=dict)
    hang_seconds: float = 5.0
    fault_rate: float = 0.0
    random_faults: tuple[str, ...] = FAULTS
    seed: int = 0
    # an image model that takes no images beside the prompt: HTTP 400 when it gets some
    rejects_image_inputs: bool = False
    # a judge that always prefers the image in this position ("A" or "B"), whatever it shows
    position_bias: str | None = None
    # a provider that refuses the logprobs request field (HTTP 400), as some do
    rejects_logprobs: bool = False
    # a vision model's own taste words, given back instead of the offline extractor's
    extraction_reply: dict[str, Any] | None = None
    # a vision model's critique, given back whatever the picture (a judge that can be fooled)
    critique_reply: dict[str, Any] | None = None
    # for load benchmarks on a small machine: answer from a few images painted once and with
    # scores from a hash, so the simulated provider does not eat the CPU the stack under test
    # needs (a real provider's work happens on its own machines)
    cheap: bool = False
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._scripted: deque[tuple[str | None, str]] = deque()
        self._files: dict[str, bytes] = {}
        self._cheap: dict[Any, Any] = {}
        self.file_gets = 0
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._renderer = OfflineGenerator(size=self.render_size)
        self._extractor = OfflineExtractor()
        self._critic = OfflineCritic()
        self._server: ThreadingHTTPServer | None = None
        self.in_flight = 0
        self.max_in_flight = 0

    # control ------------------------------------------------------------------------------
    def fail_next(self, kind: str, role: str | None = None, times: int = 1) -> None:
        assert kind in FAULTS, kind
        with self._lock:
            for _ in range(times):
                self._scripted.append((role, kind))

    def start(self) -> FakeGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                gateway.file_gets += 1
                name = self.path.rsplit("/", 1)[-1]
                data = gateway._files.get(name)
                if data is None:
                    self._send(404, {"error": {"message": "no such file"}})
                    return
                self._send_bytes(200, data, "image/png")

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                headers_in = {k.lower(): v for k, v in self.headers.items()}
                ctype = headers_in.get("content-type", "")
                body = (
                    _multipart(raw, ctype)
                    if ctype.startswith("multipart/")
                    else json.loads(raw or b"{}")
                )
                with gateway._lock:
                    gateway.in_flight += 1
                    gateway.max_in_flight = max(gateway.max_in_flight, gateway.in_flight)
                try:
                    status, payload, headers = gateway._handle(self.path, body, headers_in)
                    self._send(status, payload, headers)
                finally:
                    with gateway._lock:
                        gateway.in_flight -= 1

            def _send(
                self, status: int, payload: Any, headers: dict[str, str] | None = None
            ) -> None:
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self._send_bytes(status, raw, "application/json", headers)

            def _send_bytes(
                self, status: int, raw: bytes, ctype: str, headers: dict[str, str] | None = None
            ) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-type", ctype)
                    self.send_header("content-length", str(len(raw)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # a short poll, so that stop() (shutdown) returns at once, not after half a second
        serving = functools.partial(self._server.serve_forever, poll_interval=0.02)
        threading.Thread(target=serving, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def calls(self, role: str) -> list[Recorded]:
        return [r for r in self.requests if r.role == role]

    # behaviour ----------------------------------------------------------------------------
    def _role(self, path: str, body: dict[str, Any]) -> str:
        if path.endswith(("/images/generations", "/images", "/images/edits")):
            return "generate"
        if "image" in (body.get("modalities") or []):
            return "generate"
        text = json.dumps(body.get("messages", []))
        if "TASK: SUBJECT QUESTIONS" in text:
            return "subject_questions"
        if "TASK: SUBJECT." in text:
            return "subject"
        if "TASK: EXTRACT" in text:
            return "extract"
        if "TASK: CRITIQUE" in text:
            return "critique"
        if "TASK: COMPARE" in text:
            return "compare"
        if "TASK: REVISE" in text:
            return "revise"
        return "chat"

    def _next_fault(self, role: str) -> str | None:
        with self._lock:
            for i, (wanted, kind) in enumerate(self._scripted):
                if wanted in (None, role):
                    del self._scripted[i]
                    return kind
            if self.fault_rate and self._rng.random() < self.fault_rate:
                kinds = [
                    k
                    for k in self.random_faults
                    if k not in ("no_image", "400", "svg", *REFUSALS) or role == "generate"
                ]
                return self._rng.choice(kinds)
        return None

    def _handle(self, path: str, body: dict[str, Any], headers: dict[str, str]):
        role = self._role(path, body)
        record = Recorded(path, role, body, headers)
        with self._lock:
            self.requests.append(record)
        started = time.monotonic()
        result = self._respond(path, role, body, record)
        remaining = self.latency.get(role, 0.0) - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        return result

    def _respond(self, path: str, role: str, body: dict[str, Any], record: Recorded):
        fault = record.fault = self._next_fault(role)
        if fault == "500":
            return 500, {"error": {"message": "upstream exploded", "type": "server_error"}}, {}
        if fault == "429":
            return (
                429,
                {"error": {"message": "slow down", "type": "rate_limit"}},
                {"retry-after": "0"},
            )
        if fault == "400":
            return 400, {"error": {"message": "bad request: unknown model", "type": "invalid"}}, {}
        if fault == "hang":
            time.sleep(self.hang_seconds)
        if self.rejects_logprobs and "logprobs" in body:
            message = "logprobs is not supported for this model"
            return 400, {"error": {"message": message, "type": "invalid_request"}}, {}
        if role == "generate" and self.rejects_image_inputs and record.input_images:
            message = "this model does not accept image input"
            return 400, {"error": {"message": message, "type": "invalid_request"}}, {}
        if path.endswith(("/images/generations", "/images", "/images/edits")):
            return 200, self._images_response(path, body, fault), {}
        if role == "generate":
            return 200, self._generation(body, fault), {}
        if role in ("extract", "critique", "compare", "revise", "subject_questions", "subject"):
            if self.json_quirk == "rejects_response_format" and "response_format" in body:
                message = "response_format is not supported by this provider"
                return 400, {"error": {"message": message, "type": "invalid_request"}}, {}
            answer = {
                "extract": self._extraction,
                "critique": self._critique,
                "compare": self._compare,
                "revise": self._revise,
                "subject_questions": self._subject_questions,
                "subject": self._subject,
            }[role]
            payload = answer(body)
            logprobs = payload.pop("_p_yes", None) if isinstance(payload, dict) else None
            reply = self._json_reply(body, payload, fault)
            if logprobs is not None and body.get("logprobs") and not body.get("tools"):
                _attach_logprobs(reply, logprobs)
            return 200, reply, {}
        return 200, self._completion(body, "ok"), {}

    @staticmethod
    def _usage(body: dict[str, Any], reply: str) -> dict[str, Any]:
        prompt_tokens = len(json.dumps(body.get("messages", []))) // 40 + 10
        completion_tokens = len(reply) // 4 + 1
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "cost": round((prompt_tokens + 4 * completion_tokens) * 1e-6, 8),
        }

    def _completion(
        self, body: dict[str, Any], content: Any, **message_extra: Any
    ) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "test-model"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content, **message_extra},
                }
            ],
            "usage": self._usage(
                body, content if isinstance(content, str) else json.dumps(content)
            ),
        }

    def _json_reply(self, body: dict[str, Any], payload: dict[str, Any], fault: str | None):
        if fault == "malformed":
            return self._completion(body, '{"score": 7.5, "breakdown": {"palette_tendency": ')
        if fault == "missing_field":
            payload = dict(payload)
            payload.pop("revised_prompt", None)
            payload.pop("principles", None)
        if fault == "out_of_range":
            payload = dict(payload)
            if "score" in payload:
                payload["score"] = 14.0
            else:
                payload["principles"] = []
        text = json.dumps(payload)
        if body.get("tools"):  # function calling: the arguments of the first tool
            name = body["tools"][0]["function"]["name"]
            call = {
                "id": f"call_{uuid.uuid4().hex[:8]}",
                "type": "function",
                "function": {"name": name, "arguments": text},
            }
            return self._completion(body, None, tool_calls=[call])
        if self.json_quirk == "fenced":
            return self._completion(body, f"Here is the JSON:\n```json\n{text}\n```")
        if self.json_quirk == "think":
            return self._completion(body, f"<think>Looking at {{the images}}…</think>\n{text}")
        if self.json_quirk == "parts":
            return self._completion(body, [{"type": "text", "text": text}])
        return self._completion(body, text)

    def _extraction(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.extraction_reply is not None:
            return copy.deepcopy(self.extraction_reply)
        if self.cheap:
            return self._cheap_profile()
        images = [
            base64.b64decode(_DATA_URL.match(u).group(1))
            for u in Recorded("", "", body, {}).image_urls
        ]
        return _memo(("extract", *images), lambda: self._extracted(images))

    def _extracted(self, images: list[bytes]) -> dict[str, Any]:
        return self._extractor.extract(images).profile.model_dump(exclude={"measurements"})

    def _cheap_profile(self) -> dict[str, Any]:
        with self._lock:
            if "profile" not in self._cheap:
                refs = [
                    self._renderer.render_png(f"swirls, #1d3c78, #e8c547 {k}") for k in range(3)
                ]
                profile = self._extractor.extract(refs).profile
                self._cheap["profile"] = profile.model_dump(exclude={"measurements"})
            return self._cheap["profile"]

    def _cheap_score(self, seed: str) -> float:
        digest = hashlib.sha256(seed.encode()).digest()
        return round(4.0 + 5.0 * digest[0] / 255, 2)  # 4.0-9.0: never converges at 9.9

    def _critique(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.critique_reply is not None:
            return self.critique_reply
        if self.cheap:
            text = Recorded("", "", body, {}).text
            score = self._cheap_score(text[-200:] + str(len(self.requests)))
            prompt = re.search(r"The prompt that produced the image: (.*)\n", text).group(1)
            return {
                "score": score,
                "breakdown": {d: score for d in CRITIQUE_DIMENSIONS},
                "reasoning": "The palette needs to be warmer.",
                "revised_prompt": f"{prompt}, warmer",
            }
        recorded = Recorded("", "", body, {})
        text = recorded.text
        profile_json = re.search(r"Taste profile \(JSON\): (\{.*?\})\n", text).group(1)
        prompt = re.search(r"The prompt that produced the image: (.*)\n", text).group(1)
        intent = json.loads(
            re.search(r"The user's intent \(JSON data[^)]*\): (.*)\n", text).group(1)
        )
        # the candidate comes last, after the references' contact sheet when there is one
        image = recorded.input_images[-1]
        return _memo(
            ("critique", image, profile_json, prompt, intent),
            lambda: self._critic.critique(
                image, prompt, Brief(TasteProfile.model_validate_json(profile_json), intent)
            ).result.model_dump(exclude={"subject"}),
        )

    def _subject_questions(self, body: dict[str, Any]) -> dict[str, Any]:
        """One question per word of the intent that names something (mood words are left to
        the taste, as a person would)."""
        text = Recorded("", "", body, {}).text
        intent = json.loads(re.search(r"as JSON data \(never instructions\): (.*)", text).group(1))
        parts = [p.word for p in read_intent(intent) if not p.quality] or [intent]
        return {
            "questions": [{"part": w, "question": f"Does the picture show {w}?"} for w in parts]
        }

    def _subject(self, body: dict[str, Any]) -> dict[str, Any]:
        """Its own paintings it knows: a part is shown when the offline check finds the motif
        it drew for it; a picture it did not paint shows nothing it can name."""
        recorded = Recorded("", "", body, {})
        questions = json.loads(
            re.search(r"as JSON data \(never instructions\): (.*)", recorded.text, re.S).group(1)
        )
        image = recorded.input_images[-1]
        if self.cheap:
            shown = {q["part"]: True for q in questions}
            reasons = dict.fromkeys(shown, "cheap judge")
        else:
            painted = _painting_of(image)
            shown, reasons = {}, {}
            if painted is not None:
                prompt, seed = painted
                verdict = offline_subject(
                    " ".join(q["part"] for q in questions),
                    measure(Image.open(io.BytesIO(image)).convert("RGB")),
                    image,
                    self._renderer.sketch(prompt, seed=seed),
                )
                for part in verdict.parts:
                    shown[part.part], reasons[part.part] = part.shown is True, part.reason
        answers = [
            {
                "part": q["part"],
                "answer": "yes" if shown.get(q["part"]) else "no",
                "reason": reasons.get(q["part"], "I did not paint this picture"),
            }
            for q in questions
        ]
        return {
            "answers": answers,
            "_p_yes": [0.93 if a["answer"] == "yes" else 0.06 for a in answers],
        }

    def _compare(self, body: dict[str, Any]) -> dict[str, Any]:
        """Measured scores of A and B, or the position it is biased to."""
        recorded = Recorded("", "", body, {})
        if self.cheap:
            return {"better": "A" if len(self.requests) % 2 else "B", "reason": "cheap judge"}
        if self.position_bias:
            return {"better": self.position_bias, "reason": "the first one feels right"}
        profile_json = re.search(r"Taste profile \(JSON\): (\{.*?\})\n", recorded.text).group(1)
        profile = TasteProfile.model_validate_json(profile_json)
        _sheet, a, b = recorded.input_images
        score_a, score_b = (self._critic.judge(x, profile).overall for x in (a, b))
        better = "A" if score_a >= score_b else "B"
        return {"better": better, "reason": f"A measures {score_a:.2f}, B {score_b:.2f}"}

    def _revise(self, body: dict[str, Any]) -> dict[str, Any]:
        text = Recorded("", "", body, {}).text
        note = json.loads(re.search(r"Their note \(JSON data\): (.*)\n", text).group(1))
        prompt = re.search(r"The prompt your critique proposed next: (.*)\n", text).group(1)
        return {"prompt": f"{prompt} Direction from the person: {note}"}

    def _render(self, body: dict[str, Any]) -> bytes:
        if "prompt" in body:
            prompt = body["prompt"]
        else:
            prompt = Recorded("", "", body, {}).text
        # with images attached, the instructions come first and the prompt after "Prompt: "
        prompt = prompt.rsplit("\n\nPrompt: ", 1)[-1]
        if self.cheap:  # one of eight images, each painted once
            slot = hashlib.sha256(prompt.encode()).digest()[0] % 8
            with self._lock:
                if slot not in self._cheap:
                    self._cheap[slot] = self._renderer.render_png(f"a harbour {slot}", seed=slot)
                return self._cheap[slot]
        seed = int(body.get("seed") or 0)
        shape = _asked_shape(body)

        def paint() -> bytes:
            data = self._renderer.render_png(prompt, seed=seed, shape=shape)
            _remember_painting(data, prompt, seed)
            return data

        return _memo(("render", self.render_size, prompt, seed, shape.aspect), paint)

    def _refusal(self, body: dict[str, Any], fault: str) -> dict[str, Any]:
        reply = self._completion(body, None)
        if fault == "no_choices":
            reply["choices"] = []
        elif fault == "content_filter":
            reply["choices"][0]["finish_reason"] = "content_filter"
        else:
            reply["choices"][0]["finish_reason"] = "stop"
            reply["choices"][0]["native_finish_reason"] = "IMAGE_PROHIBITED_CONTENT"
        return reply

    def _generation(self, body: dict[str, Any], fault: str | None) -> dict[str, Any]:
        if fault == "no_image":
            return self._completion(body, "I can't draw that right now, sorry.")
        if fault in REFUSALS:
            return self._refusal(body, fault)
        data = self._render(body)
        mime = "image/png"
        shape = self.image_shape
        if fault == "svg":
            data = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'
            shape, mime = "images", "image/svg+xml"
        elif shape in ("jpeg_declared_png", "webp", "png_with_text_chunks"):
            data = _reencoded(data, shape)
        b64 = base64.b64encode(data).decode()
        url = f"data:{mime};base64,{b64}"
        if shape in ("images", "jpeg_declared_png", "webp", "png_with_text_chunks"):
            return self._completion(
                body,
                "Here is your image.",
                images=[{"type": "image_url", "image_url": {"url": url}}],
            )
        if shape == "image_singular":
            return self._completion(body, "", image={"url": url, "detail": "auto"})
        if shape == "thought_images":
            draft = base64.b64encode(_solid_png(THOUGHT_DRAFT_SIZE)).decode()
            thought = {
                "type": "image_url",
                "image_url": {"url": f"data:image/png;base64,{draft}"},
                "thought": True,
            }
            final = {"type": "image_url", "image_url": {"url": url}}
            return self._completion(body, "Drafting…", images=[thought, thought, final])
        if shape == "content_parts":
            return self._completion(
                body,
                [
                    {"type": "text", "text": "Here you go."},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            )
        if shape == "data_url_text":
            return self._completion(body, f"Here is the picture: {url}")
        if shape == "markdown":
            return self._completion(body, f"![generated]({url})")
        if shape == "http_url":
            name = f"{uuid.uuid4().hex}.png"
            self._files[name] = data
            return self._completion(
                body, f"![generated](http://127.0.0.1:{self.port}/files/{name})"
            )
        raise AssertionError(shape)

    def _images_response(self, path: str, body: dict[str, Any], fault: str | None) -> Any:
        if fault in ("no_image", *REFUSALS):
            return {"created": int(time.time()), "data": []}
        data = self._render(body)
        b64 = base64.b64encode(data).decode()
        if path.endswith("/images"):  # OpenRouter's dedicated endpoint
            return {
                "created": int(time.time()),
                "data": [{"b64_json": b64, "media_type": "image/png"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": 0, "cost": 0.04},
            }
        if self.images_api_shape == "b64_data_url":
            b64 = f"data:image/png;base64,{b64}"
        return {"created": int(time.time()), "data": [{"b64_json": b64}]}


def _attach_logprobs(reply: dict[str, Any], p_yes: list[float]) -> None:
    """Token log-probabilities as OpenAI returns them: each answer's value is one token whose
    top alternatives are "yes" and "no"."""
    import math

    message = reply["choices"][0]["message"]
    content = message.get("content")
    if not isinstance(content, str):
        return
    tokens: list[dict[str, Any]] = []
    at = 0
    values = list(re.finditer(r'"answer":\s*"(yes|no)"', content))
    if len(values) != len(p_yes):
        return
    for match, p in zip(values, p_yes, strict=True):
        start = match.start(1)
        if start > at:
            tokens.append({"token": content[at:start], "logprob": -0.01, "top_logprobs": []})
        word = match.group(1)
        alternatives = [
            {"token": "yes", "logprob": math.log(p)},
            {"token": "no", "logprob": math.log(1 - p)},
        ]
        own = math.log(p) if word == "yes" else math.log(1 - p)
        tokens.append({"token": word, "logprob": own, "top_logprobs": alternatives})
        at = match.end(1)
    if at < len(content):
        tokens.append({"token": content[at:], "logprob": -0.01, "top_logprobs": []})
    reply["choices"][0]["logprobs"] = {"content": tokens}


def _multipart(raw: bytes, ctype: str) -> dict[str, Any]:
    """A multipart form (the images edit endpoint): fields as strings, images under "files"."""
    message = BytesParser(policy=email_policy).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + raw
    )
    body: dict[str, Any] = {"files": []}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        data = part.get_payload(decode=True) or b""
        if name.startswith("image"):
            body["files"].append(data)
        else:
            body[name] = data.decode()
    return body


def _solid_png(size: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (128, 128, 128)).save(out, "PNG")
    return out.getvalue()


def _reencoded(png: bytes, shape: str) -> bytes:
    """The rendered image as another format, with metadata a provider might leave in."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    if shape == "jpeg_declared_png":
        exif = Image.Exif()
        exif[0x013B] = "Provider Artist"  # Artist
        exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
        image.save(out, "JPEG", quality=92, exif=exif)
    elif shape == "webp":
        image.save(out, "WEBP", quality=90)
    else:
        info = PngImagePlugin.PngInfo()
        info.add_text("prompt", "the whole prompt, and a user id 12345")
        image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def settings_for(gateway, **overrides):
    values = dict(
        engine="gateway",
        base_url=gateway.base_url,
        api_key="test-key",
        image_model="img-model",
        vision_model="vision-model",
        # under the `gateway` fixture's hang (3 s), and above what a large request takes the
        # server on a busy machine: at 1.5 s an extraction's 1 MB request timed out once in CI
        # and was sent again, and a test counting its asks failed
        timeout_s=2.5,
        max_retries=3,
        retry_delay_s=0.02,  # the retries are tested, not their back-off
        fetch_allow_hosts=frozenset({"127.0.0.1"}),  # the test gateway's file server
    )
    values.update(overrides)
    return EngineSettings(**values)


def _asked_shape(body: dict[str, Any]) -> PictureShape:
    """The shape a request asks for, in whichever field its endpoint uses (square if none):
    chat completions' image_config, OpenRouter's /images aspect_ratio, the images API's size."""
    aspect = (body.get("image_config") or {}).get("aspect_ratio") or body.get("aspect_ratio")
    if not aspect and "x" in str(body.get("size") or ""):
        width, height = (int(v) for v in str(body["size"]).split("x"))
        aspect = nearest_aspect(width / height)
    return PictureShape(aspect) if aspect in ASPECTS else SQUARE
