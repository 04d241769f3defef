"""Agreement of predicted scores with hand labels, with bootstrap confidence intervals.

Each aspect is judged as a four-class decision, {absent, negative, neutral, positive} (None; -2/-1;
0; +1/+2), by macro-F1: the mean F1 of the classes that occur in the labels or the predictions.
"Absent" is a class like the others, so predicting None for an aspect the review does not discuss
only counts as far as it helps that class's F1, and "always absent" is reported as a baseline.
``overall`` gets a three-class macro-F1 (negative, neutral, positive) and a **binary accuracy**
against the reviewer's own polarity (from the stars where the source has them, else from the sign
of the hand label; reviews labelled 0 without stars are left out): a neutral (0) prediction counts
as wrong. Intervals are 95 % percentile bootstrap intervals over reviews (fixed seed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy

from imdb_tracker.sentiment.models import ASPECTS, AspectScores

CLASSES = ("absent", "negative", "neutral", "positive")
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 20261129


def category(value: int | None) -> int:
    """Index in :data:`CLASSES` of a score."""
    if value is None:
        return 0
    return 1 if value < 0 else 2 if value == 0 else 3


@dataclass(frozen=True)
class Interval:
    """A measured value and its 95 % bootstrap interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class SystemEvaluation:
    """How one system agrees with the labels of one set of reviews."""

    system: str
    reviews: int
    aspect_f1: dict[str, Interval]
    aspect_mean_f1: Interval
    overall_f1: Interval
    binary_reviews: int
    binary_accuracy: Interval | None
    neutral_answers: int
    """Reviews whose predicted ``overall`` is 0."""
    failed: int
    """Reviews the system could not score (counted as all-absent, overall wrong)."""


def macro_f1(gold: numpy.ndarray, predicted: numpy.ndarray, classes: int = len(CLASSES)) -> float:
    """Macro-F1 over the classes present in ``gold`` or ``predicted`` (integer arrays)."""
    scores = []
    for cls in range(classes):
        tp = int(numpy.sum((gold == cls) & (predicted == cls)))
        fp = int(numpy.sum((gold != cls) & (predicted == cls)))
        fn = int(numpy.sum((gold == cls) & (predicted != cls)))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def evaluate(
    system: str,
    labels: Mapping[str, Mapping[str, int | None]],
    predictions: Mapping[str, AspectScores | None],
    polarity: Mapping[str, int | None] | None = None,
) -> SystemEvaluation:
    """Compare ``predictions`` (key -> scores, None when scoring failed) with ``labels`` (key ->
    the six fields); ``polarity`` gives the reviewer's star-derived polarity (+1/-1) where known."""
    keys = sorted(labels)
    missing = [key for key in keys if key not in predictions]
    if missing:
        raise ValueError(f"no prediction for {len(missing)} labelled reviews, e.g. {missing[0]}")
    polarity = polarity or {}
    gold = {field: numpy.array([category(labels[k].get(field)) for k in keys]) for field in ASPECTS}
    predicted_scores = [predictions[k] for k in keys]
    predicted = {
        field: numpy.array([category(getattr(s, field)) if s else 0 for s in predicted_scores])
        for field in ASPECTS
    }
    gold_overall = numpy.array([category(labels[k]["overall"]) - 1 for k in keys])
    predicted_overall = numpy.array([category(s.overall) - 1 if s else -1 for s in predicted_scores])
    wrong = numpy.array([s is None for s in predicted_scores])
    direction = numpy.array([_gold_direction(labels[k]["overall"], polarity.get(k)) for k in keys])
    predicted_direction = numpy.where(wrong, 0, numpy.sign(predicted_overall - 1))

    def statistics(index: numpy.ndarray) -> list[float]:
        per_aspect = [macro_f1(gold[f][index], predicted[f][index]) for f in ASPECTS]
        judged = index[direction[index] != 0]
        accuracy = float(numpy.mean(predicted_direction[judged] == direction[judged])) if len(judged) else 0.0
        overall = macro_f1(gold_overall[index], predicted_overall[index], classes=3)
        return [*per_aspect, sum(per_aspect) / len(per_aspect), overall, accuracy]

    everything = numpy.arange(len(keys))
    point = statistics(everything)
    rng = numpy.random.default_rng(BOOTSTRAP_SEED)
    samples = numpy.array(
        [statistics(rng.integers(0, len(keys), len(keys))) for _ in range(BOOTSTRAP_SAMPLES)]
    )
    low, high = numpy.percentile(samples, [2.5, 97.5], axis=0)
    intervals = [Interval(p, float(lo), float(hi)) for p, lo, hi in zip(point, low, high, strict=True)]
    judged_count = int(numpy.sum(direction != 0))
    return SystemEvaluation(
        system=system,
        reviews=len(keys),
        aspect_f1=dict(zip(ASPECTS, intervals[: len(ASPECTS)], strict=True)),
        aspect_mean_f1=intervals[len(ASPECTS)],
        overall_f1=intervals[len(ASPECTS) + 1],
        binary_reviews=judged_count,
        binary_accuracy=intervals[len(ASPECTS) + 2] if judged_count else None,
        neutral_answers=int(numpy.sum((predicted_overall == 1) & ~wrong)),
        failed=int(numpy.sum(wrong)),
    )


def _gold_direction(label: int | None, stars: int | None) -> int:
    if stars is not None:
        return stars
    if label is None or label == 0:
        return 0
    return 1 if label > 0 else -1


def binary_accuracy(gold: Sequence[int], predicted: Sequence[int | None]) -> tuple[Interval, int]:
    """Share of ``predicted`` overall scores whose sign equals ``gold`` (+1/-1); 0 or None is
    wrong. Returns the interval and the number of neutral answers."""
    correct = numpy.array(
        [p is not None and p != 0 and (p > 0) == (g > 0) for g, p in zip(gold, predicted, strict=True)],
        dtype=float,
    )
    rng = numpy.random.default_rng(BOOTSTRAP_SEED)
    means = [float(numpy.mean(correct[rng.integers(0, len(correct), len(correct))])) for _ in range(1000)]
    low, high = numpy.percentile(means, [2.5, 97.5])
    neutral = sum(p == 0 for p in predicted)
    return Interval(float(numpy.mean(correct)), float(low), float(high)), neutral


def format_table(evaluations: Sequence[SystemEvaluation], title: str) -> str:
    """Plain-text table: one row per system, aspect macro-F1 (mean and each), overall F1 and binary
    accuracy with intervals, neutral answers and failures."""
    short = {"storytelling": "story", "acting": "acting", "cinematography": "visual"}
    short |= {"music_sound": "music", "themes": "themes"}
    lines = [title]
    lines.append(
        f"{'system':<16}{'n':>5}  {'aspect macro-F1 (mean) [95% CI]':<32}"
        + "".join(f"{short[a]:>8}" for a in ASPECTS)
        + f"  {'overall F1':<10}  {'binary acc [95% CI]':<24}{'n':>5}{'neutral':>9}{'failed':>8}"
    )
    for e in evaluations:
        binary = str(e.binary_accuracy) if e.binary_accuracy else "-"
        lines.append(
            f"{e.system:<16}{e.reviews:>5}  {e.aspect_mean_f1!s:<32}"
            + "".join(f"{e.aspect_f1[a].value:>8.3f}" for a in ASPECTS)
            + f"  {e.overall_f1.value:<10.3f}  {binary:<24}{e.binary_reviews:>5}"
            f"{e.neutral_answers:>9}{e.failed:>8}"
        )
    return "\n".join(lines)
