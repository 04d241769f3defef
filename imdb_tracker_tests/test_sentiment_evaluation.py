"""Evaluation metrics on small examples computed by hand (no database, no shared folder)."""

from __future__ import annotations

import pytest

from imdb_tracker.sentiment import AspectScores
from imdb_tracker.sentiment.evaluation import binary_accuracy, category, evaluate, format_table, macro_f1

pytestmark = pytest.mark.fast


def _scores(storytelling: int | None, overall: int) -> AspectScores:
    return AspectScores(
        storytelling=storytelling,
        acting=None,
        cinematography=None,
        music_sound=None,
        themes=None,
        overall=overall,
    )


def _labels(storytelling: int | None, overall: int) -> dict:
    return _scores(storytelling, overall).to_dict()


def test_categories_are_absent_negative_neutral_positive() -> None:
    assert [category(v) for v in (None, -2, -1, 0, 1, 2)] == [0, 1, 1, 2, 3, 3]


def test_macro_f1_averages_the_classes_that_occur() -> None:
    import numpy

    gold = numpy.array([0, 0, 1, 3])
    predicted = numpy.array([0, 1, 1, 3])
    # absent: tp 1 fn 1 -> 2/3; negative: tp 1 fp 1 -> 2/3; positive: 1; neutral never occurs
    assert macro_f1(gold, predicted) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_absent_is_a_class_so_null_everywhere_scores_low() -> None:
    labels = {"a": _labels(2, 2), "b": _labels(None, 1), "c": _labels(-1, -2), "d": _labels(None, -1)}
    everything_absent = {key: _scores(None, 0) for key in labels}
    evaluation = evaluate("absent", labels, everything_absent)
    # storytelling: absent F1 = 2*2/(2*2+2) = 2/3, negative 0, positive 0 -> 2/9
    assert evaluation.aspect_f1["storytelling"].value == pytest.approx(2 / 9)
    # the four other aspects are absent in labels and predictions: one class, F1 1
    assert evaluation.aspect_f1["acting"].value == 1.0
    assert evaluation.binary_accuracy.value == 0.0 and evaluation.neutral_answers == 4


def test_binary_accuracy_uses_the_stars_and_counts_neutral_and_failures_wrong() -> None:
    labels = {"a": _labels(1, 1), "b": _labels(None, -1), "c": _labels(None, 0), "d": _labels(2, 2)}
    predictions = {"a": _scores(1, 2), "b": _scores(None, 0), "c": _scores(None, -1), "d": None}
    stars = {"c": -1}  # the reviewer's stars say negative although the hand label is 0
    evaluation = evaluate("x", labels, predictions, stars)
    assert evaluation.binary_reviews == 4
    assert evaluation.binary_accuracy.value == pytest.approx(2 / 4)  # a and c right; b neutral; d failed
    assert evaluation.failed == 1 and evaluation.neutral_answers == 1
    interval = evaluation.binary_accuracy
    assert interval.low <= interval.value <= interval.high
    assert evaluate("x", labels, predictions, stars) == evaluation  # fixed bootstrap seed


def test_reviews_labelled_neutral_without_stars_are_left_out_of_binary_accuracy() -> None:
    labels = {"a": _labels(None, 0), "b": _labels(None, 2)}
    evaluation = evaluate("x", labels, {"a": _scores(None, 2), "b": _scores(None, 1)})
    assert evaluation.binary_reviews == 1 and evaluation.binary_accuracy.value == 1.0


def test_binary_accuracy_of_a_list() -> None:
    interval, neutral = binary_accuracy([1, -1, 1, -1], [2, -1, 0, None])
    assert interval.value == 0.5 and neutral == 1


def test_a_missing_prediction_is_an_error_and_the_table_names_every_system() -> None:
    with pytest.raises(ValueError, match="no prediction for 1 labelled reviews"):
        evaluate("x", {"a": _labels(1, 1)}, {})
    labels = {"a": _labels(1, 1), "b": _labels(-1, -1)}
    rows = [evaluate(name, labels, {"a": _scores(1, 1), "b": _scores(1, 1)}) for name in ("one", "two")]
    lines = format_table(rows, "title").splitlines()
    assert lines[0] == "title" and lines[1].split()[:3] == ["system", "n", "aspect"]
    assert [line.split()[0] for line in lines[2:]] == ["one", "two"]
    assert lines[2].split()[1] == "2"
