"""The offline analyser on real sample reviews, and its agreement with the hand labels."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from imdb_tracker.sentiment import ASPECTS, OfflineAnalyser, ReviewInput
from imdb_tracker.sentiment.evaluation import evaluate
from imdb_tracker.sentiment.jsonl import read_labels, read_reviews
from imdb_tracker.sentiment.offline import extract_text_rating, to_scale
from imdb_tracker_tests.conftest import SAMPLE_CSV

pytestmark = pytest.mark.fast

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def analyser() -> OfflineAnalyser:
    return OfflineAnalyser()


@pytest.fixture(scope="module")
def sample() -> dict[str, ReviewInput]:
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
        return {
            row["review_id"]: ReviewInput(row["review_id"], row["title"], row["text"])
            for row in csv.DictReader(handle)
        }


def test_a_review_about_the_songs_scores_music_only(analyser: OfflineAnalyser, sample) -> None:
    # 'Great movie, some situations have aged badly ... "Eu Vou, Eu Vou" is the only memorable song.'
    scores = analyser.analyse(sample["rw7986333"])
    assert scores.music_sound > 0
    assert [getattr(scores, a) for a in ASPECTS if a != "music_sound"] == [None] * 4
    assert scores.overall > 0


def test_a_hate_review_is_negative(analyser: OfflineAnalyser, sample) -> None:
    # "A Total Trainwreck": lifeless remake, shockingly bad visuals, forgettable songs
    scores = analyser.analyse(sample["rw10406117"])
    assert scores.overall < 0
    assert scores.cinematography < 0


def test_praise_of_the_animation_and_the_voice_goes_to_the_right_aspects(analyser: OfflineAnalyser) -> None:
    review = ReviewInput("x", "Lovely", "The animation is gorgeous. Her singing voice is beautiful.")
    scores = analyser.analyse(review)
    assert scores.cinematography > 0 and scores.acting > 0
    assert scores.storytelling is None and scores.music_sound is None and scores.themes is None


def test_preachy_message_counts_as_themes(analyser: OfflineAnalyser) -> None:
    scores = analyser.analyse(ReviewInput("x", None, "The political message is preachy and forced."))
    assert scores.themes is not None and scores.themes < 0


def test_a_written_rating_is_used_and_removed_from_the_text() -> None:
    assert extract_text_rating("Fun for kids. 3/10") == ("Fun for kids.  ", pytest.approx(-0.4))
    assert extract_text_rating("I'd give it 4 out of 5 stars")[1] == pytest.approx(0.6)
    assert extract_text_rating("No rating here")[1] is None
    assert [to_scale(v, (0.1, 0.5)) for v in (-0.9, -0.2, 0.0, 0.3, 0.5)] == [-2, -1, 0, 1, 2]


def test_score_reports_progress_and_never_fails(analyser: OfflineAnalyser, sample) -> None:
    reviews = list(sample.values())[:120]
    seen: list[int] = []
    run = analyser.score(reviews, progress=seen.append)
    assert sum(seen) == 120 and len(seen) == 3
    assert all(r.error is None and r.scores is not None for r in run.results)
    assert run.usage.requests == 0 and run.cost == 0.0


# Measured on the hand labels with the current lexicon and tuning (dev / test): aspects mean accuracy
# 0.565 / 0.600, mention recall 0.91 / 0.82, overall accuracy 0.60 / 0.46, overall within one 0.88 / 0.87.
FLOORS = {
    "dev": {
        "aspect_accuracy": 0.54,
        "mention_recall": 0.88,
        "overall_accuracy": 0.57,
        "overall_within_one": 0.85,
    },
    "test": {
        "aspect_accuracy": 0.57,
        "mention_recall": 0.79,
        "overall_accuracy": 0.43,
        "overall_within_one": 0.84,
    },
}


@pytest.mark.parametrize("split", ["dev", "test"])
def test_agreement_with_hand_labels_stays_above_the_measured_floor(
    analyser: OfflineAnalyser, split: str
) -> None:
    labels = read_labels(DATA / "sentiment_labels.jsonl", split)
    with (DATA / "sentiment_reviews.jsonl").open(encoding="utf-8") as handle:
        reviews = [r for r in read_reviews(handle) if r.review_id in labels]
    assert len(reviews) == len(labels) >= 39
    evaluation = evaluate(labels, {r.review_id: analyser.analyse(r) for r in reviews})
    measured = {
        "aspect_accuracy": evaluation.mean("accuracy"),
        "mention_recall": evaluation.mean("mention_recall"),
        "overall_accuracy": evaluation.fields["overall"].accuracy,
        "overall_within_one": evaluation.fields["overall"].within_one,
    }
    for metric, floor in FLOORS[split].items():
        assert measured[metric] >= floor, f"{split} {metric} {measured[metric]:.3f} < {floor}"
