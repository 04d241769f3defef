"""What every request to an OpenAI-compatible chat-completions API needs, whoever makes it (the
review scoring and the per-aspect summaries): reading a JSON reply that may come wrapped, going on
without an optional parameter that a server refuses, and room for a reasoning model's thinking.

"Any OpenAI-compatible API" covers servers without structured outputs (they refuse
``response_format`` or ignore it and answer in a Markdown code fence) and reasoning models, which
accept only their default ``temperature`` and spend output tokens thinking. Both prompts describe
the answer's shape in words, so a request without these parameters still gets a usable answer.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from imdb_tracker.sentiment.models import Usage

if TYPE_CHECKING:
    from openai import OpenAI

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
    return refused_by(exc.param, str(exc.message), sent)


def refused_by(param: object, message: str, sent: dict[str, Any]) -> str | None:
    """The optional parameter of ``sent`` that a refusal with this ``param`` field and ``message``
    names (see :func:`refused_parameter`); for refusals that arrive as data, as in a batch's
    error file."""
    candidates = [name for name in OPTIONAL_PARAMETERS if name in sent]
    if param in candidates:
        return str(param)
    lowered = message.lower()
    return next((n for n in candidates if any(w in lowered for w in OPTIONAL_PARAMETERS[n])), None)


def usage_of(raw: dict[str, Any] | None) -> Usage:
    """The product's :class:`~imdb_tracker.sentiment.models.Usage` of one answered request, from its
    chat completion's ``usage`` field (as JSON)."""
    raw = raw or {}
    details = raw.get("prompt_tokens_details") or {}
    return Usage(
        requests=1,
        input_tokens=int(raw.get("prompt_tokens") or 0),
        cached_input_tokens=int(details.get("cached_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
    )


REASONING_ALLOWANCE_START = 1024
REASONING_ALLOWANCE_MAX = 16384
"""Bounds of the output tokens added for a reasoning model's thinking (see :class:`ChatCompletions`)."""


def reasoning_tokens(completion: dict[str, Any]) -> int:
    """The output tokens a reasoning model spent thinking, from a chat completion as JSON (0 for
    other models)."""
    details = (completion.get("usage") or {}).get("completion_tokens_details") or {}
    return int(details.get("reasoning_tokens") or 0)


def _cut_while_reasoning(completion: dict[str, Any]) -> bool:
    choices = completion.get("choices") or [{}]
    return choices[0].get("finish_reason") == "length" and reasoning_tokens(completion) > 0


@dataclass(frozen=True)
class Reply:
    """A chat completion (as JSON, the form batch replies come in too) and what it cost."""

    completion: dict[str, Any]
    usage: Usage
    """Every answered attempt: the cut-off ones are billed too, so they count (requests and tokens)."""


class ChatCompletions:
    """``chat.completions.create`` that copes with what OpenAI-compatible servers and models differ in.

    - An optional parameter (:data:`OPTIONAL_PARAMETERS`) that a server refuses with HTTP 400 is
      dropped, for that request and every later one through this object.
    - A reasoning model spends output tokens thinking, and they count against
      ``max_completion_tokens``. An answer cut off while the model had reasoned is asked again with
      room for the thinking added (1,024 tokens, then twice what it spent, up to 16,384), and later
      requests get that room too.

    :meth:`create` does both for a request it sends itself. Requests sent another way (in a Batch
    API job) learn the same through :meth:`prepared`, :meth:`adapt_to_refusal` and
    :meth:`adapt_to_cut`. Each change is logged once as a warning. Thread-safe.
    """

    def __init__(self, client: OpenAI) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.dropped: set[str] = set()
        self.reasoning_allowance = 0

    def prepared(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` as it is sent now: without the refused parameters, with the room for reasoning."""
        with self._lock:
            sent = {key: value for key, value in body.items() if key not in self.dropped}
            if self.reasoning_allowance and "max_completion_tokens" in sent:
                sent["max_completion_tokens"] += self.reasoning_allowance
        return sent

    def adapt_to_refusal(self, name: str, reason: str) -> None:
        """Leave the refused optional parameter ``name`` out of every later request; ``reason`` is
        the refusal, for the log."""
        with self._lock:
            first = name not in self.dropped
            self.dropped.add(name)
        if first:
            log.warning("the API refuses %s (%s); asking without it from now on", name, reason)

    def adapt_to_cut(self, completion: dict[str, Any], sent: dict[str, Any], body: dict[str, Any]) -> bool:
        """When ``completion`` (as JSON) of the request ``sent`` for ``body`` was cut off while the
        model reasoned, give later requests more room; True when a request sent now would get more
        room than ``sent`` had (so asking again is worth it)."""
        if "max_completion_tokens" not in sent or not _cut_while_reasoning(completion):
            return False
        given = sent["max_completion_tokens"] - body["max_completion_tokens"]
        wanted = max(REASONING_ALLOWANCE_START, 2 * reasoning_tokens(completion), 2 * given)
        with self._lock:
            before = self.reasoning_allowance
            self.reasoning_allowance = max(before, min(wanted, REASONING_ALLOWANCE_MAX))
            allowance = self.reasoning_allowance
        if allowance > before:
            log.warning(
                "the model spent %d output tokens reasoning and its answer was cut off; asking with "
                "%d more output tokens from now on",
                reasoning_tokens(completion),
                allowance,
            )
        return allowance > given

    def create(self, **body: Any) -> Reply:
        """Send ``body`` as adapted so far, adapting again as the answers require (class docstring).
        Any error other than a refused optional parameter is raised as the client raised it."""
        spent = Usage()
        while True:
            sent = self.prepared(body)
            try:
                completion = self._client.chat.completions.create(**sent)
            except Exception as exc:
                name = refused_parameter(exc, sent)
                if name is None:
                    raise
                self.adapt_to_refusal(name, str(exc))
                continue
            answer = completion.model_dump()
            spent += usage_of(answer.get("usage"))
            if not self.adapt_to_cut(answer, sent, body):
                return Reply(answer, spent)
