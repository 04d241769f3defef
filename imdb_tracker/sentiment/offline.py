"""Offline aspect scoring with trained models: no network, no download, one core.

How it works:

* **overall**: where the review carries its author's star rating (1-10), that rating is the
  author's own verdict and sets ``overall`` (1-2 stars -2, 3-4 -1, 5-6 0, 7-8 +1, 9-10 +2; a 5-6
  leans to the side the text takes). Otherwise a rating written in the text ("3/10", "4 out of 5")
  is used the same way, and without any rating the polarity model
  (:mod:`imdb_tracker.sentiment.polarity`, TF-IDF + logistic regression trained on reviews of many
  films from Maas et al., ACL 2011) reads title and text and its log-odds are cut into -2..2.
* **aspects** (:mod:`imdb_tracker.sentiment.aspects`): general film vocabulary
  (:mod:`imdb_tracker.sentiment.lexicon`) decides which clauses talk about which aspect; an aspect no
  clause names is None. For a named aspect, the polarity log-odds and VADER score of its clauses,
  the review's log-odds, the star rating and lukewarm or turning words in its sentences go into a
  small logistic regression trained on hand labels, which says negative, mixed (0) or positive.

Constants in :class:`Tuning` were chosen on the ``dev`` split of the hand labels only; the aspect
model was fitted on hand labels of the ``train`` and ``dev`` splits.

It misses sarcasm, comparisons with other films and opinions spread over sentences that never name
the aspect; the LLM backend is better at those.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from imdb_tracker.sentiment.aspects import (
    AspectEvidence,
    AspectModel,
    SentencePieces,
    aspect_evidence,
    sentence_clauses,
    shipped_aspect_model,
)
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

OFFLINE_VERSION = "offline-v7"
"""Bump when the lexicon, the tuning or the use of inputs changes, so offline scores are recomputed."""

_TEXT_RATING = re.compile(
    r"(?<![\w.])(\d{1,2}(?:\.\d)?)\s*(?:/|out of)\s*(10|ten|5|five)\b(?:\s*stars?)?", re.IGNORECASE
)
_SCALE = {"10": 10.0, "ten": 10.0, "5": 5.0, "five": 5.0}
_PROGRESS_EVERY = 50


@dataclass(frozen=True)
class Tuning:
    """Constants of ``overall``, chosen on the ``dev`` split of the hand labels."""

    overall_thresholds: tuple[float, float] = (0.0, 1.0)
    """Log-odds of the whole review at or beyond ±first are ±1, beyond ±second ±2. No neutral band
    (first = 0): on dev it only cost correct answers; a 5-6 star rating still gives 0."""
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


@dataclass(frozen=True)
class AspectSentence:
    """A sentence of a review that names an aspect, the polarity log-odds (positive = praise) of
    what it says about that aspect, and the analyser's score of that aspect for the whole review
    (-2..2, as :meth:`OfflineAnalyser.analyse` gives it)."""

    aspect: str
    sentence: str
    logit: float
    review_score: int


class OfflineAnalyser:
    """The offline backend; see the module docstring."""

    name = "offline"
    prompt_version = OFFLINE_VERSION
    prices = Prices(0.0, 0.0, 0.0)

    def __init__(
        self,
        tuning: Tuning = Tuning(),
        polarity: PolarityModel | None = None,
        aspects: AspectModel | None = None,
    ) -> None:
        self.tuning = tuning
        self.polarity = polarity or shipped_model()
        self.aspects = aspects or shipped_aspect_model()
        self.model = f"tfidf-logreg-{self.polarity.version}-aspects-{self.aspects.version}"

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
        read = read_review(review, self.polarity)
        if read.rating is not None:
            overall = rating_score(read.rating, read.logodds, t.middle_rating_lean)
        else:
            overall = to_scale(read.logodds, t.overall_thresholds)
        named = self.named_aspect_scores(read)
        scores: dict[str, int | None] = {aspect: named.get(aspect) for aspect in ASPECTS}
        return AspectScores.model_validate({**scores, "overall": overall})

    def named_aspect_scores(self, read: ReadReview) -> dict[str, int]:
        """The score of every aspect the review names (an aspect it does not name is missing)."""
        return {aspect: self.aspects.score(aspect, found) for aspect, found in read.evidence.items()}

    def aspect_sentences(self, review: ReviewInput) -> list[AspectSentence]:
        """The sentences :meth:`analyse` assigns to aspects: one entry per sentence and aspect it
        names, with the log-odds of what the sentence says about that aspect (the mean over its
        clauses naming it when it names several aspects) and the review's score of that aspect.
        Ratings written in the text ("3/10") are left out, as in scoring."""
        read = read_review(review, self.polarity)
        review_scores = self.named_aspect_scores(read)
        found = []
        for sentence, pieces in read.sentences:
            clauses: dict[str, list[str]] = {}
            for aspect, clause in pieces:
                clauses.setdefault(aspect, []).append(clause)
            quoted = " ".join(sentence.split())
            found.extend(
                AspectSentence(
                    aspect,
                    quoted,
                    sum(read.clause_logodds[c] for c in named) / len(named),
                    review_scores[aspect],
                )
                for aspect, named in clauses.items()
            )
        return found


@dataclass(frozen=True)
class ReadReview:
    """What the analyser takes from a review: the log-odds of title and text, the rating (the
    reviewer's stars, else one written in the text), the sentences of the text (without written
    ratings) that name aspects with their clauses, each clause's log-odds, and the evidence of each
    named aspect."""

    logodds: float
    rating: float | None
    sentences: list[SentencePieces]
    clause_logodds: dict[str, float]
    evidence: dict[str, AspectEvidence]


def read_review(review: ReviewInput, polarity: PolarityModel) -> ReadReview:
    """See :class:`ReadReview`; the aspect model is trained on exactly this."""
    text, written_rating = extract_text_rating(review.text)
    logodds = polarity.logit(f"{review.title or ''}\n{text}")
    rating = review.rating if review.rating is not None else written_rating
    sentences = list(sentence_clauses(text))
    clause_logodds = {clause: polarity.logit(clause) for _, pieces in sentences for _, clause in pieces}
    evidence = aspect_evidence(sentences, logodds, rating, clause_logodds)
    return ReadReview(logodds, rating, sentences, clause_logodds, evidence)


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
