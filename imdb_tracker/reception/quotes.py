"""What people say about each aspect: the most representative positive and negative sentences.

Candidates are the sentences the offline analyser assigns to an aspect
(:meth:`~imdb_tracker.sentiment.offline.OfflineAnalyser.aspect_sentences`, the same assignment
its scores come from), with the side given by the sign of the sentence's polarity log-odds. A
candidate must be readable on its own (``MIN_CHARS``..``MAX_CHARS`` characters), clearly for or
against (``|log-odds| >= MIN_STRENGTH``), on the side of its review's score of that aspect (a
sentence read as praise of the acting in a review whose acting is scored negative, mixed or not
judged is left out: such sentences are misread more often than the others) and come from a review
not marked as a spoiler. The review's score is its stored one, the score the dashboards show
(the language model's with that backend), and the analyser's own reading of the review where none
is stored yet. Each is ranked by

    score = |log-odds| × helpfulness × agreement ÷ aspects named in the sentence,
    helpfulness = (helpful_up + 1) / (helpful_up + helpful_down + 2),
    agreement = ``DISAGREEMENT`` when the review's stars contradict the side (a "positive"
                sentence in a review of at most 3★, a "negative" one in a review of 8★ or more:
                sarcasm or a misread far more often than the others; on the hand labels, with
                the reviewer's positive or negative side standing in for the stars, 36-43 % of
                such candidates are on the wrong side, against 0-1 % of the others), else 1

(so a sentence that many readers found helpful, that says one clear thing about one aspect in the
spirit of its review, comes first; a review without votes counts as 0.5). Going down that ranking,
a sentence is kept unless its review already gave a quote on that side or it nearly repeats a kept
one (word-set Jaccard similarity at least ``NEAR_DUPLICATE``: copy-pasted and lightly edited
reviews count once).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from imdb_tracker.sentiment.models import ReviewInput
from imdb_tracker.sentiment.offline import AspectSentence

MIN_CHARS = 30
MAX_CHARS = 320
MIN_STRENGTH = 1.0
"""Log-odds 1.0 = the polarity model is about 73 % sure of the side."""
NEAR_DUPLICATE = 0.6
DISAGREEMENT = 0.5

_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class QuoteSource:
    """A stored review as the quote selection reads it."""

    review_id: str
    title: str | None
    text: str
    rating: int | None
    helpful_up: int
    helpful_down: int
    spoiler: bool
    content_hash: str
    scores: Mapping[str, int | None] | None = None
    """The review's stored aspect scores, or None when it has none yet."""

    @property
    def helpfulness(self) -> float:
        """Share of helpful votes with one vote added each way (0.5 without votes)."""
        return (self.helpful_up + 1) / (self.helpful_up + self.helpful_down + 2)

    def agreement(self, polarity: str) -> float:
        """1, or ``DISAGREEMENT`` when the star rating contradicts ``polarity``."""
        if self.rating is None:
            return 1.0
        contradicts = self.rating <= 3 if polarity == "positive" else self.rating >= 8
        return DISAGREEMENT if contradicts else 1.0


@dataclass(frozen=True)
class Candidate:
    """A sentence about one aspect, on one side, with its rank score."""

    aspect: str
    polarity: str
    sentence: str
    strength: float
    source: QuoteSource
    score: float


def candidates(
    reviews: Iterable[QuoteSource], aspect_sentences: Callable[[ReviewInput], list[AspectSentence]]
) -> list[Candidate]:
    """Every eligible sentence of ``reviews``, best first (see the module docstring)."""
    found = []
    for review in reviews:
        if review.spoiler:
            continue
        assigned = aspect_sentences(ReviewInput(review.review_id, review.title, review.text, review.rating))
        aspects_in = Counter(a.sentence for a in assigned)
        for a in assigned:
            strength = abs(a.logit)
            if strength < MIN_STRENGTH or not MIN_CHARS <= len(a.sentence) <= MAX_CHARS:
                continue
            review_score = a.review_score if review.scores is None else review.scores[a.aspect] or 0
            if a.logit * review_score <= 0:  # the review's score of the aspect takes the other side
                continue
            polarity = "positive" if a.logit > 0 else "negative"
            score = strength * review.helpfulness * review.agreement(polarity) / aspects_in[a.sentence]
            found.append(Candidate(a.aspect, polarity, a.sentence, strength, review, score))
    found.sort(key=lambda c: (-c.score, -c.source.helpful_up, c.source.review_id, c.sentence))
    return found


def words(sentence: str) -> frozenset[str]:
    """The lower-case words of a sentence."""
    return frozenset(_WORD.findall(sentence.lower()))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two word sets."""
    return len(a & b) / len(a | b) if a or b else 1.0


def pick(ranked: Iterable[Candidate], per_side: int) -> dict[tuple[str, str], list[Candidate]]:
    """Up to ``per_side`` quotes per (aspect, polarity) from ``ranked`` (best first): one per review,
    no near-duplicates."""
    chosen: dict[tuple[str, str], list[Candidate]] = {}
    chosen_words: dict[tuple[str, str], list[frozenset[str]]] = {}
    for candidate in ranked:
        key = (candidate.aspect, candidate.polarity)
        kept = chosen.setdefault(key, [])
        if len(kept) >= per_side or any(k.source.review_id == candidate.source.review_id for k in kept):
            continue
        these = words(candidate.sentence)
        if any(similarity(these, other) >= NEAR_DUPLICATE for other in chosen_words.get(key, [])):
            continue
        kept.append(candidate)
        chosen_words.setdefault(key, []).append(these)
    return {key: kept for key, kept in chosen.items() if kept}
