"""Short LLM-written summaries of what people say about each aspect of a movie.

One request per movie covers every aspect (batched), through the ``openai`` package against any
OpenAI-compatible API, with a strict JSON-schema answer. The input is the movie's best quote
candidates (``QUOTES_PER_SIDE`` praising and as many critical sentences per aspect, chosen as in
:mod:`imdb_tracker.reception.quotes`). The result is cached on the set of reviews those sentences
come from: the hash of their ids and content hashes (:func:`reviews_hash`), with the model and
prompt version. While that set is unchanged no request is made; usage and cost are counted from the
API's usage fields and priced like the scoring (:class:`~imdb_tracker.sentiment.models.Prices`).
Transport errors are retried by the ``openai`` client (bounded, with backoff); a server that
refuses the schema or the temperature is asked without them, and an answer wrapped in a code fence
is read (:mod:`imdb_tracker.sentiment.chat_api`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Engine

from imdb_tracker.db.reception import replace_summaries, stored_summaries
from imdb_tracker.reception.quotes import Candidate, pick
from imdb_tracker.sentiment.chat_api import ChatCompletions, read_json_reply
from imdb_tracker.sentiment.models import ASPECTS, Prices, Usage

SUMMARY_PROMPT_VERSION = "aspect-summary-v2"
QUOTES_PER_SIDE = 8
SCHEMA_NAME = "aspect_summaries"
_MAX_OUTPUT_TOKENS_PER_ASPECT = 90

SYSTEM_PROMPT = """You summarise what film reviewers say about aspects of one film.

For each aspect you get sentences quoted from different reviews, each marked "+" (praise) or
"-" (criticism). Write one or two plain sentences per aspect, at most 45 words, saying what
reviewers praise and what they criticise, weighted by how many quotes say it. Use only what the
quotes say; do not invent names, facts or scores, and do not copy a quote word for word.
Aspects: storytelling (plot, script, characters, pacing), acting, cinematography (visuals,
effects, design), music_sound (score, songs, sound), themes (messages and values).
Answer with JSON only: {"summaries": [{"aspect": "<aspect>", "summary": "<text>"}, ...]}, one
entry per aspect you were given, "aspect" being its name as written above."""

RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": SCHEMA_NAME,
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["summaries"],
            "properties": {
                "summaries": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["aspect", "summary"],
                        "properties": {
                            "aspect": {"type": "string", "enum": list(ASPECTS)},
                            "summary": {"type": "string"},
                        },
                    },
                }
            },
        },
    },
}


class SummaryError(Exception):
    """The API gave no usable summaries (after the client's retries)."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    aspect: str
    summary: str


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summaries: list[_Entry]


def reviews_hash(candidates: Sequence[Candidate]) -> str:
    """SHA-256 of the sorted ``review_id:content_hash`` pairs of the reviews behind ``candidates``."""
    pairs = sorted({f"{c.source.review_id}:{c.source.content_hash}" for c in candidates})
    return hashlib.sha256("\n".join(pairs).encode()).hexdigest()


def user_message(movie: str, evidence: Mapping[tuple[str, str], Sequence[Candidate]]) -> str:
    """The per-movie request: the film, then each aspect's quotes marked + or -."""
    lines = [f"Film: {movie}"]
    for aspect in ASPECTS:
        quoted = [
            f'{"+" if polarity == "positive" else "-"} "{c.sentence}"'
            for polarity in ("positive", "negative")
            for c in evidence.get((aspect, polarity), ())
        ]
        if quoted:
            lines += ["", f"## {aspect}", *quoted]
    return "\n".join(lines)


@dataclass(frozen=True)
class SummaryRun:
    """Summaries by aspect, the usage they cost, and that usage priced."""

    summaries: dict[str, str]
    usage: Usage
    cost: float


class AspectSummariser:
    """Writes per-aspect summaries with an OpenAI-compatible chat-completions API."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        prices: Prices,
        timeout: float = 120.0,
        max_retries: int = 3,
    ) -> None:
        self.model = model
        self.prices = prices
        self.prompt_version = SUMMARY_PROMPT_VERSION
        from openai import OpenAI  # imported on first use: most deployments run without an API key

        self._completions = ChatCompletions(
            OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
        )

    def summarise(self, movie: str, evidence: Mapping[tuple[str, str], Sequence[Candidate]]) -> SummaryRun:
        """One request for every aspect of ``evidence``; raises :class:`SummaryError`."""
        import openai

        aspects = sorted({aspect for aspect, _ in evidence})
        try:
            reply = self._completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": user_message(movie, evidence)},
                ],
                response_format=RESPONSE_FORMAT,  # type: ignore[arg-type]
                max_completion_tokens=_MAX_OUTPUT_TOKENS_PER_ASPECT * len(aspects) + 50,
                temperature=0.0,
            )
        except openai.APIError as exc:
            raise SummaryError(f"summary request failed: {type(exc).__name__}: {exc}") from None
        choice = (reply.completion.get("choices") or [{}])[0]
        content = (choice.get("message") or {}).get("content")
        try:
            answer = read_json_reply(_Answer, content or "")
        except ValidationError as exc:
            raise SummaryError(f"unusable summary answer: {str(exc).splitlines()[0]}") from None
        summaries = {e.aspect: e.summary.strip() for e in answer.summaries if e.aspect in aspects}
        if not summaries:
            raise SummaryError("the answer summarised none of the aspects asked for")
        return SummaryRun(summaries, reply.usage, reply.usage.cost(self.prices))


@dataclass(frozen=True)
class SummaryOutcome:
    """The movie's summaries by aspect, and whether a request was made (False: cache hit)."""

    summaries: dict[str, str]
    requested: bool
    reviews_used: int
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0


def refresh_summaries(
    engine: Engine,
    movie_id: str,
    movie: str,
    ranked: Sequence[Candidate],
    summariser: AspectSummariser,
    now: datetime,
) -> SummaryOutcome:
    """The movie's summaries: the stored ones while the reviews they were built from, the model
    and the prompt are unchanged, else new ones (one request), stored in place of the old."""
    evidence = pick(ranked, QUOTES_PER_SIDE)
    used = [c for chosen in evidence.values() for c in chosen]
    reviews_used = len({c.source.review_id for c in used})
    if not used:
        return SummaryOutcome({}, requested=False, reviews_used=0)
    digest = reviews_hash(used)
    with engine.connect() as conn:
        stored = stored_summaries(conn, movie_id)
    current = (digest, summariser.model, summariser.prompt_version)
    if stored and all((r.reviews_hash, r.model, r.prompt_version) == current for r in stored.values()):
        return SummaryOutcome({a: r.summary for a, r in stored.items()}, False, reviews_used)
    run = summariser.summarise(movie, evidence)
    with engine.begin() as conn:
        replace_summaries(conn, movie_id, run.summaries, *current, reviews_used=reviews_used, at=now)
    return SummaryOutcome(run.summaries, True, reviews_used, run.usage, run.cost)
