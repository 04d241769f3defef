"""Offline aspect scoring: a lexicon-and-VADER **baseline**, no network and no model weights.

How it works: the text is split into sentences, and sentences naming several aspects into clauses;
a clause belongs to every aspect whose vocabulary (:mod:`imdb_tracker.sentiment.lexicon`) it uses.
Each clause is scored with VADER (its lexicon extended with film-criticism words); an aspect's
score is the mean of its opinionated clauses mapped to −2..2 by thresholds tuned on the labelled
development set. An aspect named only in neutral clauses, or not at all, is None. The overall
score blends the mean sentence sentiment (title and last sentence weighted up) with a rating the
reviewer wrote in the text ("3/10"), which is removed from the text before VADER reads it.

It is a baseline: it misses sarcasm, comparisons with other films and opinions spread over
sentences that never name the aspect. Use the LLM backend when quality matters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from imdb_tracker.sentiment.lexicon import ASPECT_PATTERNS, VADER_UPDATES
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

OFFLINE_VERSION = "offline-v1"
"""Bump when the lexicon or the tuning changes, so cached offline scores are recomputed."""

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+|(?<=[.!?])(?=[A-Z])")
_CLAUSE_SPLIT = re.compile(
    r"[;:,(]\s*|\s+-\s+|\s+(?=(?:but|however|although|though|while|whereas|except)\b)", re.I
)
_TEXT_RATING = re.compile(
    r"(?<![\w.])(-?\d{1,2}(?:\.\d)?)\s*(?:/|out of)\s*(10|ten|5|five)\b(?:\s*stars?)?", re.IGNORECASE
)
_SCALE = {"10": 10.0, "ten": 10.0, "5": 5.0, "five": 5.0}
_PROGRESS_EVERY = 50


@dataclass(frozen=True)
class Tuning:
    """Constants of the analyser, tuned on the development half of the labelled set."""

    neutral: float = 0.1
    """Clauses with |compound| below this carry no opinion."""
    aspect_thresholds: tuple[float, float] = (0.1, 0.5)
    """Mean compound at or beyond ±first is ±1, beyond ±second is ±2."""
    overall_thresholds: tuple[float, float] = (0.1, 0.4)
    overall_shift: float = -0.2
    """Added to the overall mean before thresholding (reviews praise more in words than in verdicts)."""
    overall_blend: float = 0.25
    """Share of the overall value mixed into each mentioned aspect (opinions on aspects follow the
    reviewer's general mood more than the words next to the aspect show)."""
    aspect_shift: float = -0.1
    title_weight: float = 2.0
    last_sentence_weight: float = 1.5
    text_rating_weight: float = 0.4
    """Share of a rating written in the text in the overall value."""


class OfflineAnalyser:
    """The offline backend; see the module docstring."""

    name = "offline"
    model = "vader-lexicon"
    prompt_version = OFFLINE_VERSION
    prices = Prices(0.0, 0.0, 0.0)

    def __init__(self, tuning: Tuning = Tuning()) -> None:
        self.tuning = tuning
        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(VADER_UPDATES)

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
        text, written_rating = extract_text_rating(review.text)
        sentences = [s for s in _SENTENCE_SPLIT.split(text) if s and not s.isspace()]
        compounds = [self._compound(sentence) for sentence in sentences]
        per_aspect: dict[str, list[float]] = {aspect: [] for aspect in ASPECTS}
        for sentence, compound in zip(sentences, compounds, strict=True):
            for aspect, value in self._aspect_opinions(sentence, compound):
                per_aspect[aspect].append(value)
        overall = self._overall_value(review.title, compounds, written_rating)
        scores = {aspect: self._aspect_score(values, overall) for aspect, values in per_aspect.items()}
        scores["overall"] = to_scale(overall, self.tuning.overall_thresholds)
        return AspectScores.model_validate(scores)

    def _compound(self, text: str) -> float:
        return self._vader.polarity_scores(text)["compound"]

    def _aspect_opinions(self, sentence: str, compound: float) -> list[tuple[str, float]]:
        """(aspect, compound) for every aspect named in ``sentence``; clause-level when several are."""
        named = [aspect for aspect in ASPECTS if ASPECT_PATTERNS[aspect].search(sentence)]
        if len(named) <= 1:
            return [(aspect, compound) for aspect in named]
        opinions = []
        clauses = [c for c in _CLAUSE_SPLIT.split(sentence) if c and c.strip()]
        for aspect in named:
            values = [self._compound(c) for c in clauses if ASPECT_PATTERNS[aspect].search(c)]
            opinionated = [v for v in values if abs(v) >= self.tuning.neutral]
            opinions.append((aspect, sum(opinionated) / len(opinionated) if opinionated else compound))
        return opinions

    def _aspect_score(self, values: list[float], overall: float) -> int | None:
        t = self.tuning
        opinionated = [v for v in values if abs(v) >= t.neutral]
        if not opinionated:
            return None
        local = sum(opinionated) / len(opinionated)
        value = (1 - t.overall_blend) * local + t.overall_blend * overall + t.aspect_shift
        return to_scale(value, t.aspect_thresholds)

    def _overall_value(
        self, title: str | None, compounds: list[float], written_rating: float | None
    ) -> float:
        t = self.tuning
        weighted = [(c, 1.0) for c in compounds if abs(c) >= t.neutral]
        if weighted and compounds and abs(compounds[-1]) >= t.neutral:
            weighted[-1] = (weighted[-1][0], t.last_sentence_weight)
        if title:
            title_compound = self._compound(title)
            if abs(title_compound) >= t.neutral:
                weighted.append((title_compound, t.title_weight))
        total_weight = sum(w for _, w in weighted)
        value = sum(c * w for c, w in weighted) / total_weight if total_weight else 0.0
        value += t.overall_shift
        if written_rating is not None:
            value = (1 - t.text_rating_weight) * value + t.text_rating_weight * written_rating
        return value


def extract_text_rating(text: str) -> tuple[str, float | None]:
    """The text without ratings like "3/10" or "4 out of 5 stars", and the last such rating scaled
    to −1..1 (None when there is none)."""
    ratings = [
        min(max(float(m.group(1)) / _SCALE[m.group(2).lower()], 0.0), 1.0)
        for m in _TEXT_RATING.finditer(text)
    ]
    if not ratings:
        return text, None
    return _TEXT_RATING.sub(" ", text), ratings[-1] * 2 - 1


def to_scale(value: float, thresholds: tuple[float, float]) -> int:
    """Map a value in −1..1 to −2..2: beyond ±thresholds[1] is ±2, beyond ±thresholds[0] is ±1."""
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
