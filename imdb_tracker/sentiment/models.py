"""Records shared by every sentiment backend: inputs, scores, results, token usage and prices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

ASPECTS: tuple[str, ...] = ("storytelling", "acting", "cinematography", "music_sound", "themes")
SCORE_FIELDS: tuple[str, ...] = (*ASPECTS, "overall")

Score = Literal[-2, -1, 0, 1, 2]
"""Very negative, negative, mixed/neutral, positive, very positive."""


@dataclass(frozen=True)
class ReviewInput:
    """One review to score: its title and text, and the reviewer's star rating (1-10) when known.

    The LLM backend reads title and text; the offline analyser also reads the rating.
    """

    review_id: str
    title: str | None
    text: str
    rating: int | None = None


class AspectScores(BaseModel):
    """Scores of one review: each aspect in -2..2 or None when the review does not mention it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    storytelling: Score | None
    acting: Score | None
    cinematography: Score | None
    music_sound: Score | None
    themes: Score | None
    overall: Score

    def to_dict(self) -> dict[str, int | None]:
        """The six fields in :data:`SCORE_FIELDS` order."""
        return {name: getattr(self, name) for name in SCORE_FIELDS}


@dataclass(frozen=True)
class SentimentResult:
    """Outcome for one review: ``scores`` when it worked, otherwise ``error`` says why not."""

    review_id: str
    scores: AspectScores | None
    error: str | None = None


@dataclass(frozen=True)
class Prices:
    """US dollars per million tokens (defaults: gpt-4o-mini list price)."""

    input_per_m: float = 0.15
    cached_input_per_m: float = 0.075
    output_per_m: float = 0.60

    def discounted(self, factor: float) -> Prices:
        """These prices multiplied by ``factor`` (the Batch API bills at 0.5)."""
        return Prices(self.input_per_m * factor, self.cached_input_per_m * factor, self.output_per_m * factor)


BATCH_API_PRICE_FACTOR = 0.5
LIST_PRICES = Prices()
"""gpt-4o-mini list prices."""


@dataclass(frozen=True)
class Usage:
    """Billed API calls and tokens; ``cached_input_tokens`` is the part of ``input_tokens`` served
    from the provider's prompt cache."""

    requests: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.requests + other.requests,
            self.input_tokens + other.input_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.output_tokens + other.output_tokens,
        )

    def cost(self, prices: Prices) -> float:
        """Cost in US dollars at ``prices``."""
        uncached = self.input_tokens - self.cached_input_tokens
        return (
            uncached * prices.input_per_m
            + self.cached_input_tokens * prices.cached_input_per_m
            + self.output_tokens * prices.output_per_m
        ) / 1_000_000


@dataclass(frozen=True)
class ScoringRun:
    """Results in input order, the usage they cost, and that usage priced by the backend."""

    results: list[SentimentResult]
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0


ProgressCallback = Callable[[int], None]
"""Called with the number of reviews finished since the previous call."""


class SentimentBackend(Protocol):
    """Something that scores reviews; ``name`` is "offline" or "openai"."""

    name: str
    model: str
    prompt_version: str
    prices: Prices

    def score(self, reviews: Sequence[ReviewInput], progress: ProgressCallback | None = None) -> ScoringRun:
        """Score ``reviews``; one result per review, in the same order."""
        ...
