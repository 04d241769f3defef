"""Aspect scoring with an OpenAI-compatible chat-completions API (OpenAI, Gemini, Ollama, vLLM…).

Several reviews go into one request after a stable system prompt (so the provider's prompt cache
applies); a review longer than ``max_review_tokens`` (800 estimated tokens, about 680 real ones) is
shortened in the middle, which drops under 5 % of review text (``benchmarks/sentiment.py``). The
answer follows a strict JSON schema and is validated per review; a server that refuses the schema
or the temperature is asked without them (:class:`~imdb_tracker.sentiment.chat_api.ChatCompletions`).
Transport errors (429, 5xx, timeouts) are retried with exponential backoff honouring
``Retry-After``; wrong answers (invalid JSON, schema violations, missing reviews) are re-asked for
the affected reviews only, one review per request, a bounded number of times, after which those
reviews are recorded as failed and the rest kept.

With ``batch_api=True`` the requests go through the Batch API instead (half price, results within
24 hours); each re-ask round is then another batch job. The first review of a run goes alone as a
direct request (at list price), so that the batch is built with what it taught: a parameter the
server refuses is left out and a reasoning model has room to think from the first batch on, and a
wrong key or model shows at once. A batch request that still needs adapting (a reasoning model that
thinks longer about many reviews than about one) is sent again adapted in the next batch, without
using up the re-asks for wrong answers.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Any

import openai
from openai import OpenAI

from imdb_tracker.sentiment.batch_api import BatchJobError, FailedRequest, run_batch_job
from imdb_tracker.sentiment.chat_api import ChatCompletions, refused_by, usage_of
from imdb_tracker.sentiment.models import (
    BATCH_API_PRICE_FACTOR,
    LIST_PRICES,
    AspectScores,
    Prices,
    ProgressCallback,
    ReviewInput,
    ScoringRun,
    SentimentResult,
    Usage,
)
from imdb_tracker.sentiment.prompt import (
    PROMPT_VERSION,
    RESPONSE_FORMAT,
    PackedReview,
    chat_messages,
    pack_requests,
    parse_answer,
)

log = logging.getLogger(__name__)

_RETRYABLE = (
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APITimeoutError,
    openai.APIConnectionError,
)
_OUTPUT_TOKENS_PER_REVIEW = 40


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: transport retries with exponential backoff, and re-asks for wrong answers."""

    max_transport_retries: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_answer_retries: int = 2


@dataclass(frozen=True)
class _RequestOutcome:
    packed: list[PackedReview]
    answers: dict[int, AspectScores | str]
    usage: Usage
    final: bool
    """True when the failure is not worth re-asking (transport gave up)."""
    adapted: bool = False
    """True when the request failed for what later requests are adapted to (a refused parameter, too
    little room for reasoning): asking again does not count as a re-ask."""
    batched: bool = False
    """True when the request went through the Batch API (billed at its discount)."""


class OpenAIBackend:
    """Scores reviews with an OpenAI-compatible endpoint; see the module docstring."""

    name = "openai"
    prompt_version = PROMPT_VERSION

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        model: str = "gpt-4o-mini",
        batch_size: int = 20,
        max_request_tokens: int = 6000,
        max_review_tokens: int = 800,
        concurrency: int = 4,
        batch_api: bool = False,
        prices: Prices = LIST_PRICES,
        retry: RetryPolicy | None = None,
        timeout: float = 120.0,
        temperature: float | None = 0.0,
        batch_poll_interval: float = 30.0,
        batch_max_wait: float = 24 * 3600.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if batch_size < 1 or concurrency < 1:
            raise ValueError("batch_size and concurrency must be at least 1")
        self.model = model
        self.batch_size = batch_size
        self.max_request_tokens = max_request_tokens
        self.max_review_tokens = max_review_tokens
        self.concurrency = concurrency
        self.batch_api = batch_api
        self.prices = prices.discounted(BATCH_API_PRICE_FACTOR) if batch_api else prices
        self._direct_prices = prices
        self._first_review_sent = False
        self.retry = retry or RetryPolicy()
        self.temperature = temperature
        self.batch_poll_interval = batch_poll_interval
        self.batch_max_wait = batch_max_wait
        self._sleep = sleep
        self._client = OpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)
        self._completions = ChatCompletions(self._client)

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self.model!r}, base_url={str(self._client.base_url)!r})"

    def score(self, reviews: Sequence[ReviewInput], progress: ProgressCallback | None = None) -> ScoringRun:
        """Score ``reviews``; one result per review, in input order."""
        results: dict[int, SentimentResult] = {}
        usage, cost = Usage(), 0.0
        pending = list(enumerate(reviews))
        asked = dict.fromkeys(range(len(reviews)), 0)  # wrong answers, towards max_answer_retries
        while pending:
            retry_next: list[tuple[int, ReviewInput]] = []
            alone = any(asked[index] for index, _ in pending)
            for outcome in self._run_round([review for _, review in pending], alone=alone):
                usage += outcome.usage
                cost += outcome.usage.cost(self.prices if outcome.batched else self._direct_prices)
                finished = 0
                for packed in outcome.packed:
                    index = pending[packed.position][0]
                    answer = outcome.answers[packed.number]
                    if isinstance(answer, AspectScores):
                        results[index] = SentimentResult(packed.review.review_id, answer)
                        finished += 1
                        continue
                    asked[index] += not outcome.adapted
                    if outcome.final or asked[index] > self.retry.max_answer_retries:
                        results[index] = SentimentResult(packed.review.review_id, None, answer)
                        finished += 1
                    else:
                        log.info("re-asking for review %s: %s", packed.review.review_id, answer)
                        retry_next.append((index, packed.review))
                if progress and finished:
                    progress(finished)
            pending = retry_next
        ordered = [results[index] for index in range(len(reviews))]
        return ScoringRun(ordered, usage, cost)

    def _run_round(self, reviews: list[ReviewInput], *, alone: bool) -> Iterable[_RequestOutcome]:
        """One request per ``batch_size`` reviews, or per review when re-asking (so one review that
        keeps breaking the answer cannot take its neighbours down with it). With the Batch API, the
        first round of this backend sends its first review alone and directly (module docstring)."""
        requests = pack_requests(
            reviews,
            max_reviews=1 if alone else self.batch_size,
            max_request_tokens=self.max_request_tokens,
            max_review_tokens=self.max_review_tokens,
        )
        if not self.batch_api:
            return self._run_concurrently(requests)
        if self._first_review_sent:
            return self._run_batch_job(requests)
        self._first_review_sent = True
        first, *others = requests
        alone_first = self._request(first[:1])
        if alone_first.final:
            log.warning(
                "the first review, sent alone before the batch, failed: %s; sending the batch anyway",
                alone_first.answers[1],
            )
        if len(first) > 1:
            others.insert(0, [replace(p, number=n) for n, p in enumerate(first[1:], 1)])
        return [alone_first, *self._run_batch_job(others)] if others else [alone_first]

    def _run_concurrently(self, requests: list[list[PackedReview]]) -> Iterator[_RequestOutcome]:
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="sentiment") as pool:
            futures = [pool.submit(self._request, packed) for packed in requests]
            for future in as_completed(futures):
                yield future.result()

    def _run_batch_job(self, requests: list[list[PackedReview]]) -> list[_RequestOutcome]:
        bodies = [self._body(packed) for packed in requests]
        sent = [(f"request-{i}", self._completions.prepared(body)) for i, body in enumerate(bodies)]
        try:
            replies = run_batch_job(
                self._client,
                sent,
                poll_interval=self.batch_poll_interval,
                max_wait=self.batch_max_wait,
                sleep=self._sleep,
            )
        except (BatchJobError, openai.APIError) as exc:
            return [replace(_failed(packed, f"batch job failed: {exc}"), batched=True) for packed in requests]
        outcomes = []
        for (custom_id, sent_body), body, packed in zip(sent, bodies, requests, strict=True):
            reply = replies[custom_id]
            if isinstance(reply, FailedRequest):
                refused = reply.status_code == 400 and refused_by(reply.param, reply.message, sent_body)
                if refused:
                    self._completions.adapt_to_refusal(refused, str(reply))
                outcome = _failed(packed, str(reply))
                adapted = self._completions.prepared(body) != sent_body
            else:
                outcome = _from_completion(reply, packed, usage_of(reply.get("usage")))
                adapted = self._completions.adapt_to_cut(reply, sent_body, body)
            outcomes.append(
                replace(outcome, final=outcome.final and not adapted, adapted=adapted, batched=True)
            )
        return outcomes

    def _body(self, packed: list[PackedReview]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": chat_messages(packed),
            "response_format": RESPONSE_FORMAT,
            "max_completion_tokens": _OUTPUT_TOKENS_PER_REVIEW * len(packed) + 50,
        }
        if self.temperature is not None:
            body["temperature"] = self.temperature
        return body

    def _request(self, packed: list[PackedReview]) -> _RequestOutcome:
        body = self._body(packed)
        for attempt in range(self.retry.max_transport_retries + 1):
            try:
                reply = self._completions.create(**body)
            except _RETRYABLE as exc:
                if attempt == self.retry.max_transport_retries:
                    return _failed(packed, f"gave up after {attempt + 1} attempts: {_describe(exc)}")
                delay = self._delay(exc, attempt)
                log.warning("%s; retrying in %.1f s", _describe(exc), delay)
                self._sleep(delay)
            except openai.APIStatusError as exc:
                return _failed(packed, _describe(exc))
            else:
                return _from_completion(reply.completion, packed, reply.usage)
        raise AssertionError("unreachable")

    def _delay(self, exc: Exception, attempt: int) -> float:
        """``Retry-After`` when the server sent one, else exponential backoff with jitter."""
        response = getattr(exc, "response", None)
        hinted = retry_after_seconds(response.headers) if response is not None else None
        if hinted is not None:
            return min(hinted, self.retry.max_delay)
        backoff = self.retry.base_delay * 2**attempt
        return min(backoff * (0.5 + random.random() / 2), self.retry.max_delay)


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _describe(exc: Exception) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} from the API: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _failed(packed: list[PackedReview], reason: str) -> _RequestOutcome:
    return _RequestOutcome(packed, {p.number: reason for p in packed}, Usage(), final=True)


def _from_completion(completion: dict[str, Any], packed: list[PackedReview], usage: Usage) -> _RequestOutcome:
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    if message.get("refusal"):
        answers: dict[int, AspectScores | str] = dict.fromkeys(
            (p.number for p in packed), f"model refused: {message['refusal']}"
        )
    elif choice.get("finish_reason") == "length":
        answers = dict.fromkeys((p.number for p in packed), "answer cut off at the output token limit")
    else:
        answers = parse_answer(message.get("content"), packed)
    return _RequestOutcome(packed, answers, usage, final=False)
