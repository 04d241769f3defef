"""Training of the offline analyser's aspect model (needs the ``dev`` extra: scikit-learn).

Run through :mod:`imdb_tracker.sentiment.training`, which trains the polarity model first: the
evidence (:mod:`imdb_tracker.sentiment.aspects`) comes from that polarity model, which never trained
on a hand-labelled review, so its log-odds on them are those of unseen reviews.

Data: every label of ``hand_labels/train_labels.jsonl`` (``train``), of ``hand_labels/labels.jsonl``
(``dev`` and the old ``test``: since offline-v4 the old test split, looked at twice, is training data
too) and of the separately labelled splits ``test2`` .. ``test6`` (``hand_labels/test<N>_labels.jsonl``:
test2..test4 since offline-v5, test5 since offline-v6, test6 since offline-v7), each measured once
before; ``test7``, the held-out split, is never read here. Each (review, aspect) whose aspect the
text names and the label scores (-2..2) is one example of negative, mixed or positive.

Model selection by cross-validation over reviews (``FOLDS`` folds, repeated with ``SEEDS``): for
each C in ``C_GRID`` the out-of-fold probabilities give, per aspect, the threshold on P(mixed) in
``THRESHOLD_GRID`` with the best four-class macro-F1 (absent, negative, mixed, positive, as in
:mod:`imdb_tracker.sentiment.evaluation`), and the C with the best mean over the five aspects wins.
The recorded figures are those out-of-fold scores; choosing thresholds on them makes them slightly
optimistic, which is why a held-out split (``test7`` now) is measured apart.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from imdb_tracker.sentiment.aspects import CLASSES, AspectEvidence, AspectModel
from imdb_tracker.sentiment.assessment import HELD_OUT, HELD_OUT_FILES
from imdb_tracker.sentiment.corpus import POLARITY_SOURCE, CorpusReview, file_sha256
from imdb_tracker.sentiment.evaluation import category, macro_f1
from imdb_tracker.sentiment.labels import (
    PROJECT_LABEL_FILES,
    HandLabel,
    labelled_reviews,
    read_hand_labels,
)
from imdb_tracker.sentiment.models import ASPECTS
from imdb_tracker.sentiment.offline import read_review
from imdb_tracker.sentiment.polarity import PolarityModel

SEEDS = (0, 1, 2, 3, 4)
FOLDS = 5
C_GRID = (0.3, 1.0, 3.0)
THRESHOLD_GRID = (0.08, 0.1, 0.12, 0.15, 0.18, 0.22, 0.3, 1.01)
"""Thresholds on P(mixed); 1.01 means the aspect is never scored mixed."""
STRONG = 0.75
"""P(positive) - P(negative) from which a side is +-2: set so that the share of +-2 among the answers
on the train labels matches theirs (the four classes of the evaluation do not see it)."""
DIGITS = 5


@dataclass(frozen=True)
class LabelledReview:
    """A hand-labelled review: key, source, the labelled scores and the evidence the analyser reads."""

    key: str
    source: str
    labels: dict[str, int | None]
    evidence: dict[str, AspectEvidence]


TRAINING_LABEL_FILES = tuple(path for path in PROJECT_LABEL_FILES if path != HELD_OUT_FILES[HELD_OUT])
"""The label files the aspect model learns from (module docstring): every project label file but the
held-out split's (``test7``), in the order of :data:`PROJECT_LABEL_FILES`."""


def training_labels() -> list[HandLabel]:
    """The labels the aspect model may learn from (:data:`TRAINING_LABEL_FILES`), never ``test7``."""
    return [label for path in TRAINING_LABEL_FILES for label in read_hand_labels(path)]


def labelled_evidence(
    labels: Sequence[HandLabel], shared: Path, polarity: PolarityModel
) -> list[LabelledReview]:
    """Read every labelled review as the analyser does."""
    reviews: dict[str, CorpusReview] = labelled_reviews(labels, shared)
    return [
        LabelledReview(
            label.key,
            reviews[label.key].source,
            label.scores,
            read_review(reviews[label.key].review, polarity).evidence,
        )
        for label in labels
    ]


def _examples(reviews: Sequence[LabelledReview]) -> tuple[numpy.ndarray, numpy.ndarray]:
    rows, classes = [], []
    for review in reviews:
        for aspect, evidence in review.evidence.items():
            label = review.labels[aspect]
            if label is not None:
                rows.append(evidence.values())
                classes.append((label > 0) - (label < 0))
    return numpy.array(rows), numpy.array(classes)


def fit(
    reviews: Sequence[LabelledReview], c: float
) -> tuple[tuple[tuple[float, ...], ...], tuple[float, ...]]:
    """Weights and intercepts of the multinomial logistic regression (rows in ``CLASSES`` order)."""
    from sklearn.linear_model import LogisticRegression

    x, y = _examples(reviews)
    classifier = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    order = [list(classifier.classes_).index(cls) for cls in CLASSES]
    weights = tuple(tuple(round(float(w), DIGITS) for w in classifier.coef_[row]) for row in order)
    intercepts = tuple(round(float(classifier.intercept_[row]), DIGITS) for row in order)
    return weights, intercepts


def _out_of_fold(reviews: Sequence[LabelledReview], c: float, seed: int) -> list[AspectModel]:
    """For each review, the model fitted on the folds that do not contain it (thresholds unset)."""
    from sklearn.model_selection import KFold

    models: list[AspectModel | None] = [None] * len(reviews)
    for train_index, test_index in KFold(FOLDS, shuffle=True, random_state=seed).split(reviews):
        weights, intercepts = fit([reviews[i] for i in train_index], c)
        model = AspectModel(weights, intercepts, dict.fromkeys(ASPECTS, 1.01), STRONG)
        for i in test_index:
            models[i] = model
    return [m for m in models if m is not None]


def cross_validate(reviews: Sequence[LabelledReview]) -> dict[str, Any]:
    """Choose C and the per-aspect thresholds (module docstring) and report the out-of-fold
    four-class macro-F1, for all labelled reviews and for those of the many-film sample."""
    many = [i for i, r in enumerate(reviews) if r.source == POLARITY_SOURCE]
    best: dict[str, Any] | None = None
    for c in C_GRID:
        fold_models = [_out_of_fold(reviews, c, seed) for seed in SEEDS]
        chosen: dict[str, float] = {}
        for aspect in ASPECTS:
            by_threshold = {
                threshold: numpy.mean(
                    [_oof_f1(reviews, models, aspect, threshold, None) for models in fold_models]
                )
                for threshold in THRESHOLD_GRID
            }
            chosen[aspect] = max(THRESHOLD_GRID, key=lambda t: (by_threshold[t], -t))
        every = {
            a: float(numpy.mean([_oof_f1(reviews, m, a, chosen[a], None) for m in fold_models]))
            for a in ASPECTS
        }
        films = {
            a: float(numpy.mean([_oof_f1(reviews, m, a, chosen[a], many) for m in fold_models]))
            for a in ASPECTS
        }
        result = {
            "C": c,
            "mixed_thresholds": chosen,
            "macro_f1_all": {a: round(v, 4) for a, v in every.items()},
            "macro_f1_all_mean": round(float(numpy.mean(list(every.values()))), 4),
            "macro_f1_many_films": {a: round(v, 4) for a, v in films.items()},
            "macro_f1_many_films_mean": round(float(numpy.mean(list(films.values()))), 4),
        }
        if best is None or result["macro_f1_all_mean"] > best["macro_f1_all_mean"]:
            best = result
    assert best is not None
    return {
        "folds": FOLDS,
        "seeds": list(SEEDS),
        "reviews": len(reviews),
        "reviews_many_films": len(many),
        **best,
    }


def _oof_f1(
    reviews: Sequence[LabelledReview],
    models: Sequence[AspectModel],
    aspect: str,
    threshold: float,
    subset: Sequence[int] | None,
) -> float:
    chosen = range(len(reviews)) if subset is None else subset
    gold, predicted = [], []
    for i in chosen:
        review = reviews[i]
        model = AspectModel(models[i].weights, models[i].intercepts, {aspect: threshold}, STRONG)
        value = model.score(aspect, review.evidence[aspect]) if aspect in review.evidence else None
        gold.append(category(review.labels[aspect]))
        predicted.append(category(value))
    return macro_f1(numpy.array(gold), numpy.array(predicted))


def train(shared: Path, polarity: PolarityModel) -> AspectModel:
    """The shipped aspect model: C and thresholds by cross-validation, then fitted on every
    training label (:func:`training_labels`), with its provenance."""
    import sklearn

    labels = training_labels()
    reviews = labelled_evidence(labels, shared, polarity)
    cv = cross_validate(reviews)
    weights, intercepts = fit(reviews, cv["C"])
    splits = [label.split for label in labels]
    provenance = {
        "description": "multinomial logistic regression over the evidence of each named aspect "
        "(imdb_tracker.sentiment.aspects); negative / mixed / positive",
        "training_labels": {
            str(path.relative_to(path.parent.parent)): file_sha256(path) for path in TRAINING_LABEL_FILES
        },
        "labelled_reviews": {split: splits.count(split) for split in ("train", "dev", "test")},
        "polarity_model": polarity.version,
        "cross_validation": cv,
        "libraries": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__,
        },
    }
    return AspectModel(weights, intercepts, cv["mixed_thresholds"], STRONG, provenance)


def differences(retrained: AspectModel, shipped: AspectModel, tolerance: float = 1e-3) -> list[str]:
    """Why two aspect models differ (empty when thresholds match and weights are within
    ``tolerance``)."""
    problems = []
    if retrained.mixed_thresholds != shipped.mixed_thresholds or retrained.strong != shipped.strong:
        problems.append(f"thresholds {retrained.mixed_thresholds} != {shipped.mixed_thresholds}")
    pairs = [
        *zip(sum(retrained.weights, ()), sum(shipped.weights, ()), strict=True),
        *zip(retrained.intercepts, shipped.intercepts, strict=True),
    ]
    if any(abs(a - b) > tolerance for a, b in pairs):
        problems.append(f"weights {retrained.weights} != {shipped.weights}")
    return problems
