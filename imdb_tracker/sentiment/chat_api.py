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
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types import CompletionUsage
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


REASONING_ALLOWANCE_START = 1024
REASONING_ALLOWANCE_MAX = 16384
"""Bounds of the output tokens added for a reasoning model's thinking (see :class:`ChatCompletions`)."""


def reasoning_tokens(completion: ChatCompletion) -> int:
    """The output tokens a reasoning model spent thinking (0 for other models)."""
    details = completion.usage.completion_tokens_details if completion.usage else None
    return (details.reasoning_tokens or 0) if details else 0


def _cut_while_reasoning(completion: ChatCompletion) -> bool:
    choice = completion.choices[0] if completion.choices else None
    return choice is not None and choice.finish_reason == "length" and reasoning_tokens(completion) > 0


def _add_usage(completion: ChatCompletion, earlier: list[CompletionUsage]) -> ChatCompletion:
    """``completion`` with the usage of ``earlier`` attempts added, so that they are paid for too."""
    if not earlier or completion.usage is None:
        return completion
    usage = completion.usage.model_copy(deep=True)
    for spent in earlier:
        usage.prompt_tokens += spent.prompt_tokens
        usage.completion_tokens += spent.completion_tokens
        usage.total_tokens += spent.total_tokens
        cached = spent.prompt_tokens_details.cached_tokens if spent.prompt_tokens_details else None
        if cached and usage.prompt_tokens_details is not None:
            usage.prompt_tokens_details.cached_tokens = (
                usage.prompt_tokens_details.cached_tokens or 0
            ) + cached
    return completion.model_copy(update={"usage": usage})


class ChatCompletions:
    """``chat.completions.create`` that copes with what OpenAI-compatible servers and models differ in.

    - An optional parameter (:data:`OPTIONAL_PARAMETERS`) that a server refuses with HTTP 400 is
      dropped, for that request and every later one through this object.
    - A reasoning model spends output tokens thinking, and they count against
      ``max_completion_tokens``. An answer cut off while the model had reasoned is asked again with
      room for the thinking added (1,024 tokens, then twice what it spent, up to 16,384), and later
      requests get that room too; the cut attempts' usage is added to the answer's.

    Each change is logged as a warning. Any other error is raised as the client raised it.
    Thread-safe.
    """

    def __init__(self, client: OpenAI) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.dropped: set[str] = set()
        self.reasoning_allowance = 0

    def _prepared(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            sent = {key: value for key, value in body.items() if key not in self.dropped}
            if self.reasoning_allowance and "max_completion_tokens" in sent:
                sent["max_completion_tokens"] += self.reasoning_allowance
        return sent

    def create(self, **body: Any) -> ChatCompletion:
        """Send ``body`` as adapted so far; see the class docstring."""
        cut_attempts: list[CompletionUsage] = []
        while True:
            sent = self._prepared(body)
            try:
                completion = self._client.chat.completions.create(**sent)
            except Exception as exc:
                name = refused_parameter(exc, sent)
                if name is None:
                    raise
                with self._lock:
                    first = name not in self.dropped
                    self.dropped.add(name)
                if first:
                    log.warning("the API refuses %s (%s); asking without it from now on", name, exc)
                continue
            if not _cut_while_reasoning(completion) or "max_completion_tokens" not in sent:
                return _add_usage(completion, cut_attempts)
            given = sent["max_completion_tokens"] - body["max_completion_tokens"]
            if given == REASONING_ALLOWANCE_MAX:
                return _add_usage(completion, cut_attempts)
            wanted = max(REASONING_ALLOWANCE_START, 2 * reasoning_tokens(completion), 2 * given)
            with self._lock:
                self.reasoning_allowance = max(self.reasoning_allowance, min(wanted, REASONING_ALLOWANCE_MAX))
                allowance = self.reasoning_allowance
            log.warning(
                "the model spent %d output tokens reasoning and its answer was cut off; asking again "
                "with %d more output tokens",
                reasoning_tokens(completion),
                allowance,
            )
            if completion.usage is not None:
                cut_attempts.append(completion.usage)
