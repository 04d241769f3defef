"""A backend measured beside the baselines: hand labels per source (movie) and split, plus overall
binary accuracy on every row of the polarity sample's split. Used by ``imdb-tracker sentiment
evaluate`` and ``benchmarks/sentiment.py``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from imdb_tracker.sentiment.baselines import BASELINES
from imdb_tracker.sentiment.corpus import POLARITY_SOURCE, CorpusReview, read_polarity
from imdb_tracker.sentiment.evaluation import (
    Interval,
    SystemEvaluation,
    binary_accuracy,
    evaluate,
    format_table,
)
from imdb_tracker.sentiment.labels import (
    TEST2_LABELS_FILE,
    TEST3_LABELS_FILE,
    TEST4_LABELS_FILE,
    TEST5_LABELS_FILE,
    TEST6_LABELS_FILE,
    TEST7_LABELS_FILE,
    HandLabel,
    labelled_reviews,
)
from imdb_tracker.sentiment.models import AspectScores, ReviewInput, ScoringRun, SentimentBackend

ALL = "all"
TEST2 = "test2"
TEST3 = "test3"
TEST4 = "test4"
TEST5 = "test5"
TEST6 = "test6"
TEST7 = "test7"
HELD_OUT = TEST7
"""The held-out split: never trained or tuned on."""
HELD_OUT_FILES = {
    TEST7: TEST7_LABELS_FILE,
    TEST6: TEST6_LABELS_FILE,
    TEST5: TEST5_LABELS_FILE,
    TEST4: TEST4_LABELS_FILE,
    TEST3: TEST3_LABELS_FILE,
    TEST2: TEST2_LABELS_FILE,
}
"""The separately labelled splits of many films and their label files: every label of such a file
is in its split; their reviews come from the polarity sample's ``test`` and ``dev`` splits, which
the polarity model never trains on (``test4``: its last unlabelled ``test`` rows and unlabelled
``dev`` rows; ``test5``: the last unlabelled ``dev`` rows), and for ``test6`` and ``test7`` from its
``train`` split, whose labelled rows the polarity model leaves out (since offline-v6 and offline-v7).
``test7`` is the held-out one; ``test2`` and ``test3`` were each measured once for offline-v4,
``test4`` for offline-v4 from then on, ``test5`` for offline-v5 and ``test6`` for offline-v6; the
offline aspect model trains on test2..test4 since offline-v5, on test5 since offline-v6 and on test6
since offline-v7."""
SOURCE_NAMES = {POLARITY_SOURCE: "IMDb polarity sample (many films)"}


@dataclass(frozen=True)
class PolarityAccuracy:
    """Overall binary accuracy of one system on whole-split rows of the polarity sample."""

    system: str
    reviews: int
    accuracy: Interval
    neutral_answers: int


@dataclass(frozen=True)
class Assessment:
    """Evaluations per group (``all`` first, then each source), and the polarity-split accuracy."""

    title: str
    groups: dict[str, list[SystemEvaluation]]
    polarity_split: list[PolarityAccuracy]


Scorer = Callable[[list[ReviewInput]], ScoringRun]


def assess(
    backend: SentimentBackend,
    labels: Sequence[HandLabel],
    shared: Path,
    *,
    split: str,
    own_reviews: Sequence[ReviewInput] = (),
    score: Scorer | None = None,
    others: Sequence[tuple[str, Scorer]] = (),
) -> Assessment:
    """Score the labelled reviews of ``split`` ("dev", "test", "test2" .. "test7" or "all"; for "all"
    and the splits of :data:`HELD_OUT_FILES` every label given) with ``backend`` (through ``score``
    when given, e.g. with progress output), with ``others`` (e.g. a previous analyser) and with
    every baseline, and compare. When
    labels come from the polarity sample, every row of its split (``test`` for "all" and the splits
    of :data:`HELD_OUT_FILES`) is scored too, for overall binary accuracy against the reviewers'
    stars."""
    chosen = [label for label in labels if split == ALL or split in HELD_OUT_FILES or label.split == split]
    reviews = labelled_reviews(chosen, shared, own_reviews)
    systems = _with_baselines([(backend.name, score or backend.score), *others])
    keys = [label.key for label in chosen]
    predictions = _predictions(systems, [_keyed(reviews[key]) for key in keys])
    label_of = {label.key: label.scores for label in chosen}
    groups: dict[str, list[str]] = {ALL: keys}
    for key in keys:
        groups.setdefault(reviews[key].source, []).append(key)
    evaluations = {
        group: [
            evaluate(
                name,
                {k: label_of[k] for k in members},
                predictions[name],
                {k: reviews[k].polarity for k in members},
            )
            for name, _ in systems
        ]
        for group, members in groups.items()
    }
    accuracy = []
    if any(label.source == POLARITY_SOURCE for label in chosen):
        whole = "test" if split == ALL or split in HELD_OUT_FILES else split
        accuracy = _polarity_split_accuracy(systems, shared, whole)
    title = f"{backend.name}/{backend.model} ({backend.prompt_version}), split {split}"
    return Assessment(title, evaluations, accuracy)


def labeller_agreement(
    backend: SentimentBackend, first: Sequence[HandLabel], second: Sequence[HandLabel], shared: Path
) -> list[SystemEvaluation]:
    """How well a second labeller agrees with the first on the reviews both labelled, measured as
    if the second were a system, beside ``backend`` and the baselines on the same reviews: the
    agreement between two readers is the ceiling a system can be expected to reach."""
    seconds = {label.key: label.scores for label in second}
    chosen = [label for label in first if label.key in seconds]
    reviews = labelled_reviews(chosen, shared)
    keys = [label.key for label in chosen]
    gold = {label.key: label.scores for label in chosen}
    polarity = {key: reviews[key].polarity for key in keys}
    labelled_again = {key: AspectScores.model_validate(seconds[key]) for key in keys}
    evaluations = [evaluate("second labeller", gold, labelled_again, polarity)]
    systems = _with_baselines([(backend.name, backend.score)])
    predictions = _predictions(systems, [_keyed(reviews[key]) for key in keys])
    return evaluations + [evaluate(name, gold, scores, polarity) for name, scores in predictions.items()]


def _with_baselines(systems: Sequence[tuple[str, Scorer]]) -> list[tuple[str, Scorer]]:
    """``systems`` followed by every baseline."""
    return [*systems, *((baseline.name, baseline().score) for baseline in BASELINES)]


def _predictions(
    systems: Sequence[tuple[str, Scorer]], inputs: list[ReviewInput]
) -> dict[str, dict[str, AspectScores | None]]:
    """Each system's scores of ``inputs`` by review id, in the order of ``systems``."""
    predictions = {}
    for name, scorer in systems:
        predictions[name] = {r.review_id: r.scores for r in scorer(inputs).results}
    return predictions


def _keyed(review: CorpusReview) -> ReviewInput:
    """The review with its key as id (sample ids and polarity keys are already unique)."""
    r = review.review
    return ReviewInput(review.key, r.title, r.text, rating=r.rating)


def _polarity_split_accuracy(
    systems: Sequence[tuple[str, Scorer]], shared: Path, split: str
) -> list[PolarityAccuracy]:
    rows = [r for r in read_polarity(shared) if r.split == split]
    gold = [r.polarity or 0 for r in rows]
    inputs = [_keyed(r) for r in rows]
    results = []
    for name, scorer in systems:
        run = scorer(inputs)
        predicted = [r.scores.overall if r.scores else None for r in run.results]
        interval, neutral = binary_accuracy(gold, predicted)
        results.append(PolarityAccuracy(name, len(rows), interval, neutral))
    return results


def format_assessment(assessment: Assessment) -> str:
    """The tables of :func:`assess` as plain text."""
    parts = []
    for group, evaluations in assessment.groups.items():
        name = "all labelled reviews" if group == ALL else SOURCE_NAMES.get(group, f"movie {group}")
        parts.append(format_table(evaluations, f"{assessment.title}: {name}"))
    if assessment.polarity_split:
        first = assessment.polarity_split[0]
        lines = [
            f"overall binary accuracy on all {first.reviews} rows of the polarity sample's split "
            "(labels from the reviewers' stars)"
        ]
        lines.append(f"{'system':<16}{'accuracy [95% CI]':<26}{'neutral':>8}")
        for row in assessment.polarity_split:
            lines.append(f"{row.system:<16}{row.accuracy!s:<26}{row.neutral_answers:>8}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
