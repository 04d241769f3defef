"""Offline aspect scoring with a trained polarity model: no network, no download, one core.

How it works:

* **overall**: where the review carries its author's star rating (1-10), that rating is the
  author's own verdict and sets ``overall`` (1-2 stars -2, 3-4 -1, 5-6 0, 7-8 +1, 9-10 +2; a 5-6
  leans to the side the text takes). Otherwise a rating written in the text ("3/10", "4 out of 5")
  is used the same way, and without any rating the polarity model
  (:mod:`imdb_tracker.sentiment.polarity`, TF-IDF + logistic regression trained on reviews of many
  films from Maas et al., ACL 2011) reads title and text and its log-odds are cut into -2..2.
* **aspects**: the text is split into sentences, and sentences naming several aspects into clauses;
  a clause belongs to every aspect whose general film vocabulary (:mod:`imdb_tracker.sentiment.
  lexicon`) it uses. The polarity model scores each such clause; an aspect's value is the mean of
  its clauses, blended with the review's overall log-odds, cut into -2..2. An aspect no clause
  names is None.

Constants in :class:`Tuning` were chosen on the ``dev`` split of the hand labels only.

It misses sarcasm, comparisons with other films and opinions spread over sentences that never name
the aspect; the LLM backend is better at those.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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
from imdb_tracker.sentiment.polarity import PolarityModel, shipped_model

OFFLINE_VERSION = "offline-v2"
"""Bump when the lexicon, the tuning or the use of inputs changes, so offline scores are recomputed."""

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+|<br\s*/?>|(?<=[.!?])(?=[A-Z])")
_CLAUSE_SPLIT = re.compile(
    r"[;:,(]\s*|\s+-\s+|\s+(?=(?:but|however|although|though|while|whereas|except)\b)", re.I
)
_TEXT_RATING = re.compile(
    r"(?<![\w.])(\d{1,2}(?:\.\d)?)\s*(?:/|out of)\s*(10|ten|5|five)\b(?:\s*stars?)?", re.IGNORECASE
)
_SCALE = {"10": 10.0, "ten": 10.0, "5": 5.0, "five": 5.0}
_PROGRESS_EVERY = 50


@dataclass(frozen=True)
class Tuning:
    """Constants of the analyser, chosen on the ``dev`` split of the hand labels (147 reviews):
    aspect macro-F1 0.56 there, against 0.47 for VADER on the same sentences."""

    overall_thresholds: tuple[float, float] = (0.0, 1.0)
    """Log-odds of the whole review at or beyond ±first are ±1, beyond ±second ±2. No neutral band
    (first = 0): on dev it only cost correct answers; a 5-6 star rating still gives 0."""
    aspect_thresholds: tuple[float, float] = (0.1, 1.2)
    overall_blend: float = 0.2
    """Share of the review's overall log-odds in each mentioned aspect's value."""
    middle_rating_lean: float = 1.0
    """A 5-6 star rating becomes ±1 when the text's log-odds are beyond ±this, else 0."""


def rating_score(rating: float, text_logit: float, lean: float) -> int:
    """The author's verdict on the -2..2 scale from a 1-10 rating; 5-6 follows a clear text."""
    if rating <= 2.5:
        return -2
    if rating <= 4.5:
        return -1
    if rating < 6.5:
        return 1 if text_logit >= lean else -1 if text_logit <= -lean else 0
    return 1 if rating < 8.5 else 2


class OfflineAnalyser:
    """The offline backend; see the module docstring."""

    name = "offline"
    prompt_version = OFFLINE_VERSION
    prices = Prices(0.0, 0.0, 0.0)

    def __init__(self, tuning: Tuning = Tuning(), polarity: PolarityModel | None = None) -> None:
        self.tuning = tuning
        self.polarity = polarity or shipped_model()
        self.model = f"tfidf-logreg-{self.polarity.version}"

    def score(self, reviews: Sequence[ReviewInput], progress: ProgressCallback | None = None) -> ScoringRun:
        """Score ``reviews`` locally; never fails per review, costs nothing."""
        results = []
        for start in range(0, len(reviews), _PROGRESS_EVERY):
            chunk = reviews[start : start + _PROGRESS_EVERY]
            results.extend(SentimentResult(review.review_id, self.analyse(review)) for review in chunk)
            if progress:
                progress(len(chunk))
        return ScoringRun(results, Usage(), 0.0)

    def analyse(self, review: ReviewInput) -> AspectScores:
        """The six scores of one review."""
        t = self.tuning
        text, written_rating = extract_text_rating(review.text)
        overall_logit = self.polarity.logit(f"{review.title or ''}\n{text}")
        rating = review.rating if review.rating is not None else written_rating
        if rating is not None:
            overall = rating_score(rating, overall_logit, t.middle_rating_lean)
        else:
            overall = to_scale(overall_logit, t.overall_thresholds)
        per_aspect: dict[str, list[float]] = {aspect: [] for aspect in ASPECTS}
        for sentence in _SENTENCE_SPLIT.split(text):
            if sentence and not sentence.isspace():
                for aspect, value in self._aspect_opinions(sentence):
                    per_aspect[aspect].append(value)
        scores: dict[str, int | None] = {
            aspect: self._aspect_score(values, overall_logit) for aspect, values in per_aspect.items()
        }
        return AspectScores.model_validate({**scores, "overall": overall})

    def _aspect_opinions(self, sentence: str) -> list[tuple[str, float]]:
        """(aspect, log-odds) for every aspect named in ``sentence``; per clause when several are."""
        named = aspects_named(sentence)
        if not named:
            return []
        if len(named) == 1:
            return [(named[0], self.polarity.logit(sentence))]
        opinions = []
        clauses = [c for c in _CLAUSE_SPLIT.split(sentence) if c and c.strip()]
        for clause in clauses:
            in_clause = aspects_named(clause)
            if in_clause:
                logit = self.polarity.logit(clause)
                opinions.extend((aspect, logit) for aspect in in_clause if aspect in named)
        return opinions

    def _aspect_score(self, values: list[float], overall_logit: float) -> int | None:
        t = self.tuning
        if not values:
            return None
        local = sum(values) / len(values)
        value = (1 - t.overall_blend) * local + t.overall_blend * overall_logit
        return to_scale(value, t.aspect_thresholds)


def extract_text_rating(text: str) -> tuple[str, float | None]:
    """The text without ratings like "3/10" or "4 out of 5 stars", and the last such rating on the
    1-10 scale (None when there is none)."""
    ratings = [
        min(max(float(m.group(1)) / _SCALE[m.group(2).lower()] * 10, 1.0), 10.0)
        for m in _TEXT_RATING.finditer(text)
    ]
    if not ratings:
        return text, None
    return _TEXT_RATING.sub(" ", text), ratings[-1]


def to_scale(value: float, thresholds: tuple[float, float]) -> int:
    """Map a log-odds value to -2..2: beyond ±thresholds[1] is ±2, beyond ±thresholds[0] is ±1."""
    low, high = thresholds
    if value >= high:
        return 2
    if value >= low:
        return 1
    if value <= -high:
        return -2
    if value <= -low:
        return -1
    return 0
