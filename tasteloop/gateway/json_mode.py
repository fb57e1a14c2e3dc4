"""How structured answers are asked for (TASTELOOP_JSON_MODE), and the fallback when a gateway
cannot do JSON mode.

- `json`: instructor's JSON mode (`response_format: json_object`); works on most gateways.
- `md_json`: the JSON asked for in a markdown fence and read from the text; for gateways that
  refuse `response_format`.
- `tools`: function calling.
- `auto` (default): JSON mode, switching to `md_json` for the rest of the process (logged, once)
  when a gateway refuses `response_format` or keeps answering fenced JSON.

Whatever the mode, each reply is tidied before instructor parses it: `content` sent as a list of
text parts is joined, and a leading `<think>…</think>` block is dropped.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import instructor
import openai

from tasteloop.config import JSON_MODE_SETTINGS

log = logging.getLogger(__name__)

JSON_MODES: dict[str, instructor.Mode] = {
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
    "tools": instructor.Mode.TOOLS,
}
_THINK = re.compile(r"^\s*<think(?:ing)?>.*?</think(?:ing)?>\s*", re.DOTALL | re.IGNORECASE)
_REFUSES_FORMAT = re.compile(r"response_format|json_object|json mode|json_schema", re.IGNORECASE)


def tidy_reply(response: Any) -> None:
    """instructor's `completion:response` hook: runs before the reply is parsed."""
    for choice in getattr(response, "choices", None) or []:
        message = getattr(choice, "message", None)
        content = getattr(message, "content", None)
        if isinstance(content, list):
            texts = [
                part.get("text", "") if isinstance(part, dict) else getattr(part, "text", "")
                for part in content
            ]
            content = "".join(t for t in texts if isinstance(t, str))
        if isinstance(content, str):
            message.content = _THINK.sub("", content, count=1)


def _reply_text(exc: BaseException) -> str:
    completion = getattr(exc, "last_completion", None)
    choices = getattr(completion, "choices", None) or []
    content = getattr(getattr(choices[0], "message", None), "content", "") if choices else ""
    return content if isinstance(content, str) else ""


def json_mode_unsupported(exc: BaseException) -> bool:
    """The gateway refused `response_format`, or answered fenced JSON that JSON mode cannot read."""
    current: BaseException | None = exc
    seen: list[BaseException] = []
    while current is not None and current not in seen:
        seen.append(current)
        if isinstance(current, openai.BadRequestError | openai.UnprocessableEntityError):
            return bool(_REFUSES_FORMAT.search(str(getattr(current, "body", "")) + str(current)))
        if "```" in _reply_text(current):  # JSON mode reads bare JSON only
            return True
        current = current.__cause__ or current.__context__
    return False


class JsonModeChooser:
    """The mode to use now; under `auto`, one switch to `md_json` per process."""

    def __init__(self, setting: str) -> None:
        if setting not in JSON_MODE_SETTINGS:
            raise ValueError(f"unknown JSON mode {setting!r}")
        self.setting = setting
        self.current = "json" if setting == "auto" else setting
        self._lock = threading.Lock()

    def fall_back(self, exc: BaseException, gateway: str) -> bool:
        """Switch modes if `exc` says JSON mode does not work here; True if it switched."""
        if self.setting != "auto" or not json_mode_unsupported(exc):
            return False
        with self._lock:
            if self.current == "json":
                self.current = "md_json"
                log.warning(
                    "%s does not support JSON mode (%s); using md_json from now on in this process",
                    gateway,
                    str(exc)[:200],
                )
        return True
