"""Reference systems the evaluation puts beside a backend: VADER alone, the star rating alone, and
"every aspect absent". They follow the :class:`~imdb_tracker.sentiment.models.SentimentBackend`
protocol but are not offered as backends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from imdb_tracker.sentiment.aspects import SENTENCE_SPLIT, vader
from imdb_tracker.sentiment.lexicon import aspects_named
from imdb_tracker.sentiment.models import (
    ASPECTS,
    AspectScores,
    Prices,
    ProgressCallback,
    ReviewInput,
    ScoringRun,
    SentimentResult,
    Usage,
)
from imdb_tracker.sentiment.offline import to_scale

VADER_THRESHOLDS = (0.05, 0.6)
"""VADER's own neutral band (|compound| < 0.05) for ±1, and ±0.6 for ±2."""


class _Baseline:
    """Scores every review with ``analyse``; free, never fails."""

    name = "baseline"
    model = "baseline"
    prompt_version = "baseline"
    prices = Prices(0.0, 0.0, 0.0)
    analyse: Callable[[ReviewInput], AspectScores]

    def score(self, reviews: Sequence[ReviewInput], progress: ProgressCallback | None = None) -> ScoringRun:
        """One result per review, in order."""
        results = [SentimentResult(review.review_id, self.analyse(review)) for review in reviews]
        if progress and reviews:
            progress(len(reviews))
        return ScoringRun(results, Usage(), 0.0)


class VaderBaseline(_Baseline):
    """VADER only: overall from the compound score of title and text; each aspect from the mean
    compound of the sentences naming it (same aspect vocabulary as the offline analyser)."""

    name = "vader-only"
    model = "vaderSentiment"
    prompt_version = "vader-only"

    def __init__(self) -> None:
        self._vader = vader()

    def analyse(self, review: ReviewInput) -> AspectScores:
        """Scores of one review."""
        compound = self._vader.polarity_scores(f"{review.title or ''}\n{review.text}")["compound"]
        per_aspect: dict[str, list[float]] = {aspect: [] for aspect in ASPECTS}
        for sentence in SENTENCE_SPLIT.split(review.text):
            named = aspects_named(sentence) if sentence.strip() else []
            if named:
                value = self._vader.polarity_scores(sentence)["compound"]
                for aspect in named:
                    per_aspect[aspect].append(value)
        aspects = {
            aspect: to_scale(sum(values) / len(values), VADER_THRESHOLDS) if values else None
            for aspect, values in per_aspect.items()
        }
        return AspectScores.model_validate({**aspects, "overall": to_scale(compound, VADER_THRESHOLDS)})


class StarRatingBaseline(_Baseline):
    """The reviewer's star rating alone: overall from the rating (0 when there is none), and every
    aspect the review names gets the same sign as the rating."""

    name = "stars-only"
    model = "star-rating"
    prompt_version = "stars-only"

    def analyse(self, review: ReviewInput) -> AspectScores:
        """Scores of one review."""
        overall = 0 if review.rating is None else to_scale((review.rating - 5.5) / 4.5, (0.2, 0.6))
        named = set(aspects_named(review.text))
        aspects = {aspect: (max(-1, min(1, overall)) if aspect in named else None) for aspect in ASPECTS}
        return AspectScores.model_validate({**aspects, "overall": overall})


class AlwaysAbsent(_Baseline):
    """Every aspect absent, overall neutral: what scoring nothing at all looks like."""

    name = "always-absent"
    model = "constant"
    prompt_version = "always-absent"

    def analyse(self, review: ReviewInput) -> AspectScores:
        """Scores of one review."""
        return AspectScores.model_validate({**dict.fromkeys(ASPECTS), "overall": 0})


BASELINES: tuple[type[_Baseline], ...] = (VaderBaseline, StarRatingBaseline, AlwaysAbsent)
