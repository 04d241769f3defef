"""What every request to an OpenAI-compatible chat-completions API needs, whoever makes it (the
review scoring and the per-aspect summaries): reading a JSON reply that may come wrapped, and going
on without an optional parameter that a server refuses.

"Any OpenAI-compatible API" covers servers without structured outputs (they refuse
``response_format`` or ignore it and answer in a Markdown code fence) and models that accept only
their default ``temperature`` (OpenAI's reasoning models). Both prompts describe the answer's shape
in words, so a request without these parameters still gets a usable answer.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types.chat import ChatCompletion

log = logging.getLogger(__name__)

Answer = TypeVar("Answer", bound=BaseModel)

OPTIONAL_PARAMETERS: dict[str, tuple[str, ...]] = {
    "response_format": ("response_format", "json_schema", "structured output"),
    "temperature": ("temperature",),
}
"""Request parameters a request can do without, and the words by which a refusal names each."""

_FENCED = re.compile(r"^\s*```[\w-]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


def _embedded_json(content: str) -> str | None:
    """The JSON object in a reply that wraps it: a Markdown code fence, or words before and after
    it (None when there is none)."""
    fenced = _FENCED.match(content)
    if fenced:
        return fenced.group(1)
    start, end = content.find("{"), content.rfind("}")
    return content[start : end + 1] if 0 <= start < end else None


def is_json_error(exc: ValidationError) -> bool:
    """True when validation failed because the text is not JSON (not because of its shape)."""
    return any(err["type"] == "json_invalid" for err in exc.errors())


def read_json_reply(model: type[Answer], content: str) -> Answer:
    """The reply validated as ``model``; when it is not JSON, the JSON object it wraps in a code
    fence or in words. Raises :class:`~pydantic.ValidationError`."""
    try:
        return model.model_validate_json(content)
    except ValidationError as exc:
        embedded = _embedded_json(content)
        if embedded is None or not is_json_error(exc):
            raise
        return model.model_validate_json(embedded)


def refused_parameter(exc: Exception, sent: dict[str, Any]) -> str | None:
    """The optional parameter of ``sent`` that an HTTP 400 ``exc`` refuses, by the error's ``param``
    field or by name in its message; None when it names none of them."""
    import openai

    if not isinstance(exc, openai.BadRequestError):
        return None
    candidates = [name for name in OPTIONAL_PARAMETERS if name in sent]
    if exc.param in candidates:
        return exc.param
    message = str(exc.message).lower()
    return next((n for n in candidates if any(w in message for w in OPTIONAL_PARAMETERS[n])), None)


class ChatCompletions:
    """``chat.completions.create`` that drops an optional parameter (:data:`OPTIONAL_PARAMETERS`)
    a server refuses with HTTP 400, for that request and every later one through this object,
    saying so once in the log. Any other error is raised as the client raised it. Thread-safe."""

    def __init__(self, client: OpenAI) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.dropped: set[str] = set()

    def create(self, **body: Any) -> ChatCompletion:
        """Send ``body`` without the dropped parameters; see the class docstring."""
        while True:
            with self._lock:
                sent = {key: value for key, value in body.items() if key not in self.dropped}
            try:
                return self._client.chat.completions.create(**sent)
            except Exception as exc:
                name = refused_parameter(exc, sent)
                if name is None:
                    raise
                with self._lock:
                    first = name not in self.dropped
                    self.dropped.add(name)
                if first:
                    log.warning("the API refuses %s (%s); asking without it from now on", name, exc)
