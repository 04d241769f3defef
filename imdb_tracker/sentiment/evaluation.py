"""Agreement of predicted scores with hand labels: accuracy, macro-F1, mention detection, confusion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from imdb_tracker.sentiment.models import ASPECTS, SCORE_FIELDS, AspectScores

SCALE = (-2, -1, 0, 1, 2)
Labels = Mapping[str, int | None]


@dataclass(frozen=True)
class FieldMetrics:
    """How one score field agrees with the labels.

    ``accuracy`` counts exact agreement over all reviews, "not mentioned" (None) included;
    ``macro_f1`` averages the F1 of the classes −2..2 that occur in labels or predictions (a None
    prediction is a miss); mention precision/recall treat "not None" as the positive class.
    """

    field: str
    reviews: int
    accuracy: float
    within_one: float
    macro_f1: float
    mention_precision: float | None
    mention_recall: float | None


@dataclass(frozen=True)
class Evaluation:
    """Metrics per field, the overall confusion matrix (rows: label, columns: prediction) and the
    number of reviews the backend failed to score (counted as all-None predictions)."""

    fields: dict[str, FieldMetrics]
    overall_confusion: dict[int, dict[int, int]]
    failed: int

    def mean(self, metric: str, fields: tuple[str, ...] = ASPECTS) -> float:
        """Average of ``metric`` over ``fields`` (default: the five aspects)."""
        return sum(getattr(self.fields[f], metric) or 0.0 for f in fields) / len(fields)


def evaluate(labels: Mapping[str, Labels], predictions: Mapping[str, AspectScores | None]) -> Evaluation:
    """Compare ``predictions`` (review id -> scores, None when scoring failed) with ``labels``."""
    missing = sorted(set(labels) - set(predictions))
    if missing:
        raise ValueError(f"no prediction for {len(missing)} labelled reviews, e.g. {missing[0]}")
    pairs: dict[str, list[tuple[int | None, int | None]]] = {f: [] for f in SCORE_FIELDS}
    failed = 0
    for review_id, gold in labels.items():
        scores = predictions[review_id]
        failed += scores is None
        predicted = scores.to_dict() if scores is not None else dict.fromkeys(SCORE_FIELDS)
        for field in SCORE_FIELDS:
            pairs[field].append((gold.get(field), predicted[field]))
    confusion: dict[int, dict[int, int]] = {g: dict.fromkeys(SCALE, 0) for g in SCALE}
    for gold, pred in pairs["overall"]:
        if gold is not None and pred is not None:
            confusion[gold][pred] += 1
    return Evaluation({f: _field_metrics(f, pairs[f]) for f in SCORE_FIELDS}, confusion, failed)


def _field_metrics(field: str, pairs: list[tuple[int | None, int | None]]) -> FieldMetrics:
    n = len(pairs)
    accuracy = sum(g == p for g, p in pairs) / n
    within_one = sum(g == p or (g is not None and p is not None and abs(g - p) <= 1) for g, p in pairs) / n
    f1s = []
    for cls in SCALE:
        tp = sum(g == cls and p == cls for g, p in pairs)
        fp = sum(g != cls and p == cls for g, p in pairs)
        fn = sum(g == cls and p != cls for g, p in pairs)
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    mentioned_both = sum(g is not None and p is not None for g, p in pairs)
    predicted_mentions = sum(p is not None for _, p in pairs)
    gold_mentions = sum(g is not None for g, _ in pairs)
    return FieldMetrics(
        field=field,
        reviews=n,
        accuracy=accuracy,
        within_one=within_one,
        macro_f1=sum(f1s) / len(f1s) if f1s else 0.0,
        mention_precision=mentioned_both / predicted_mentions if predicted_mentions else None,
        mention_recall=mentioned_both / gold_mentions if gold_mentions else None,
    )


def format_evaluation(evaluation: Evaluation, title: str = "") -> str:
    """Plain-text table of the metrics and the overall confusion matrix."""

    def pct(value: float | None) -> str:
        return "   -" if value is None else f"{value * 100:4.0f}"

    lines = [title] if title else []
    lines.append(f"{'field':<15}{'n':>4}{'acc%':>7}{'±1%':>6}{'F1%':>6}{'mentP%':>8}{'mentR%':>8}")
    for m in evaluation.fields.values():
        lines.append(
            f"{m.field:<15}{m.reviews:>4}{pct(m.accuracy):>7}{pct(m.within_one):>6}{pct(m.macro_f1):>6}"
            f"{pct(m.mention_precision):>8}{pct(m.mention_recall):>8}"
        )
    means = (pct(evaluation.mean(metric)) for metric in ("accuracy", "within_one", "macro_f1"))
    widths = (7, 6, 6)
    lines.append(f"{'aspects mean':<19}" + "".join(f"{m:>{w}}" for m, w in zip(means, widths, strict=True)))
    lines.append(f"failed reviews: {evaluation.failed}")
    lines.append("overall confusion (rows: label, columns: prediction)")
    lines.append("      " + "".join(f"{p:>5}" for p in SCALE))
    for gold, row in evaluation.overall_confusion.items():
        lines.append(f"{gold:>5} " + "".join(f"{row[p]:>5}" for p in SCALE))
    return "\n".join(lines)
