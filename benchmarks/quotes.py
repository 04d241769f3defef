"""How often a quote of "what people say" stands on the side its review takes, against hand labels.

    python benchmarks/quotes.py [--shared ../shared]

Every hand-labelled review (``sentiment/hand_labels/``) goes through the quote selection of the
``aspect_quotes`` asset (:func:`imdb_tracker.reception.quotes.candidates`), once with the
shipped rule and once with the rule before it, in the same run:

* **chosen**: a sentence is a candidate only on the side of its review's score of that aspect
  (:attr:`~imdb_tracker.sentiment.offline.AspectSentence.review_score`);
* **alternative**: every sentence clear enough (``|log-odds| >= MIN_STRENGTH``) is a candidate on
  the side of its own log-odds.

For each candidate whose review the labels judge on that aspect (negative or positive), the side
is right when it is the label's. Reported per label set: the held-out split (the aspect model never
trained on it) and the labels the aspect model learns from (in-sample for the review's score,
so optimistic), with a 95 % bootstrap interval over reviews. Also the candidates on aspects
the labels call absent or mixed, and the time the chosen rule takes per 1,000 reviews (the
alternative here reuses the chosen assignment, review scores included, so its time says nothing).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy

from imdb_tracker.reception.quotes import Candidate, QuoteSource, candidates
from imdb_tracker.sentiment.aspect_training import training_labels
from imdb_tracker.sentiment.assessment import HELD_OUT, HELD_OUT_FILES
from imdb_tracker.sentiment.evaluation import BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED
from imdb_tracker.sentiment.labels import HandLabel, labelled_reviews, read_hand_labels
from imdb_tracker.sentiment.models import ReviewInput
from imdb_tracker.sentiment.offline import AspectSentence, OfflineAnalyser
from imdb_tracker.settings import get_settings

Assign = Callable[[ReviewInput], list[AspectSentence]]


def previous_rule(analyser: OfflineAnalyser) -> Assign:
    """The alternative: each sentence's side is its own, whatever the review's score says."""

    def assign(review: ReviewInput) -> list[AspectSentence]:
        return [
            replace(found, review_score=1 if found.logit > 0 else -1)
            for found in analyser.aspect_sentences(review)
        ]

    return assign


def sources(labels: Sequence[HandLabel], shared: Path) -> list[QuoteSource]:
    """The labelled reviews as the quote selection reads them (no votes, not spoilers)."""
    reviews = labelled_reviews(labels, shared)
    return [
        QuoteSource(label.key, r.title, r.text, r.rating, 0, 0, False, label.key)
        for label in labels
        for r in [reviews[label.key].review]
    ]


def measure(name: str, labels: Sequence[HandLabel], shared: Path, assign: Assign, timed: bool) -> None:
    """Print the share of right sides, its interval, the unjudged candidates (and the time)."""
    gold = {label.key: label.scores for label in labels}
    quoted = sources(labels, shared)
    started = time.perf_counter()
    found: list[Candidate] = candidates(quoted, assign)
    per_thousand = (time.perf_counter() - started) / len(quoted) * 1000
    right: dict[str, list[bool]] = {}
    unjudged = 0
    for candidate in found:
        label = gold[candidate.source.review_id][candidate.aspect]
        if not label:
            unjudged += 1
            continue
        right.setdefault(candidate.source.review_id, []).append(
            (label > 0) == (candidate.polarity == "positive")
        )
    keys = sorted(right)
    hits = numpy.array([sum(right[k]) for k in keys])
    counts = numpy.array([len(right[k]) for k in keys])
    rng = numpy.random.default_rng(BOOTSTRAP_SEED)
    draws = rng.integers(0, len(keys), size=(BOOTSTRAP_SAMPLES, len(keys)))
    shares = hits[draws].sum(1) / counts[draws].sum(1)
    low, high = numpy.percentile(shares, [2.5, 97.5])
    print(
        f"  {name:12s} {len(found):5d} candidates, {counts.sum():5d} on judged aspects: "
        f"right side {hits.sum() / counts.sum():.3f} [{low:.3f}, {high:.3f}]; "
        f"{unjudged} on aspects labelled absent or mixed"
        + (f"; {per_thousand:.2f} s per 1,000 reviews" if timed else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=None, help="shared folder [setting shared_dir]")
    args = parser.parse_args()
    shared = args.shared or get_settings().shared_dir
    analyser = OfflineAnalyser()
    for title, labels in (
        (f"held-out split {HELD_OUT}", read_hand_labels(HELD_OUT_FILES[HELD_OUT])),
        ("the aspect model's training labels (in-sample)", training_labels()),
    ):
        print(f"{title}: {len(labels)} reviews")
        measure("chosen", labels, shared, analyser.aspect_sentences, timed=True)
        measure("alternative", labels, shared, previous_rule(analyser), timed=False)


if __name__ == "__main__":
    main()
