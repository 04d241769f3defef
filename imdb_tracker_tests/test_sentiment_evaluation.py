"""Evaluation metrics on a small example computed by hand."""

from __future__ import annotations

import pytest

from imdb_tracker.sentiment import AspectScores
from imdb_tracker.sentiment.evaluation import evaluate, format_evaluation

pytestmark = pytest.mark.fast


def _scores(storytelling, overall) -> AspectScores:
    return AspectScores(
        storytelling=storytelling,
        acting=None,
        cinematography=None,
        music_sound=None,
        themes=None,
        overall=overall,
    )


def _labels(storytelling, overall) -> dict:
    return _scores(storytelling, overall).to_dict()


def test_metrics_match_a_hand_computed_example() -> None:
    labels = {"a": _labels(2, 2), "b": _labels(1, 1), "c": _labels(None, -2), "d": _labels(-1, -1)}
    predictions = {"a": _scores(2, 2), "b": _scores(None, 2), "c": _scores(1, -2), "d": None}
    evaluation = evaluate(labels, predictions)
    story = evaluation.fields["storytelling"]
    assert story.accuracy == pytest.approx(1 / 4)  # only "a" agrees
    assert story.within_one == pytest.approx(1 / 4)  # None never counts as near
    # F1 per class: 2 -> 1.0; 1 -> tp 0, fp 1 (c), fn 1 (b) -> 0; -1 -> fn 1 (d) -> 0
    assert story.macro_f1 == pytest.approx(1 / 3)
    assert story.mention_precision == pytest.approx(1 / 2)  # predicted for a, c; a is labelled
    assert story.mention_recall == pytest.approx(1 / 3)  # labelled a, b, d; predicted for a
    assert evaluation.fields["acting"].mention_precision is None
    assert evaluation.failed == 1
    assert evaluation.overall_confusion[1][2] == 1 and evaluation.overall_confusion[-2][-2] == 1
    assert sum(sum(row.values()) for row in evaluation.overall_confusion.values()) == 3  # "d" failed
    text = format_evaluation(evaluation, "example")
    assert text.splitlines()[0] == "example"
    assert "storytelling" in text and "overall confusion" in text and "failed reviews: 1" in text


def test_a_missing_prediction_is_an_error() -> None:
    with pytest.raises(ValueError, match="no prediction for 1 labelled reviews"):
        evaluate({"a": _labels(1, 1)}, {})
