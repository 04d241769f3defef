"""The offline analyser: the star rating as the author's verdict, aspects from general film
vocabulary scored by the trained aspect model, and its agreement with the hand labels measured on
reviews of many films it never saw."""

from __future__ import annotations

import pytest

from imdb_tracker.sentiment import ASPECTS, OfflineAnalyser, ReviewInput
from imdb_tracker.sentiment.aspects import (
    AspectEvidence,
    AspectModel,
    aspect_clauses,
    aspect_evidence,
    sentence_clauses,
)
from imdb_tracker.sentiment.assessment import Assessment, assess, labeller_agreement
from imdb_tracker.sentiment.corpus import POLARITY_CSV, read_sample
from imdb_tracker.sentiment.labels import (
    TEST4_LABELS_FILE,
    TEST4_SECOND_LABELS_FILE,
    TEST7_LABELS_FILE,
    read_hand_labels,
)
from imdb_tracker.sentiment.offline import extract_text_rating, rating_score, to_scale
from imdb_tracker_tests.conftest import SHARED

needs_shared = pytest.mark.skipif(
    not (SHARED / POLARITY_CSV).exists(), reason=f"no shared folder at {SHARED}"
)


@pytest.fixture(scope="module")
def analyser() -> OfflineAnalyser:
    return OfflineAnalyser()


@pytest.mark.fast
def test_the_star_rating_is_the_authors_verdict(analyser: OfflineAnalyser) -> None:
    dud = "This movie was a dud."
    assert analyser.analyse(ReviewInput("x", None, dud, rating=1)).overall == -2
    assert (
        analyser.analyse(ReviewInput("x", None, "Wonderful, I loved every minute.", rating=10)).overall == 2
    )
    assert (
        analyser.analyse(ReviewInput("x", None, "Wonderful, I loved every minute.", rating=3)).overall == -1
    )
    assert [rating_score(r, 0.0, 1.0) for r in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)] == [
        *(-2, -2, -1, -1, 0, 0, 1, 1, 2, 2)
    ]
    assert rating_score(6, 2.5, 1.0) == 1 and rating_score(5, -2.5, 1.0) == -1  # 5-6 follows a clear text


@pytest.mark.fast
def test_without_stars_the_text_decides(analyser: OfflineAnalyser) -> None:
    praise = "A masterpiece. Wonderful performances, a brilliant script, I loved it."
    pan = "Boring, stupid and badly acted. The worst film I have seen, a total waste of time."
    assert analyser.analyse(ReviewInput("x", None, praise)).overall == 2
    assert analyser.analyse(ReviewInput("x", None, pan)).overall == -2
    assert analyser.analyse(ReviewInput("x", None, "Fun for kids. 3/10")).overall == -1  # rating in the text


@pytest.mark.fast
def test_aspects_go_where_their_vocabulary_points(analyser: OfflineAnalyser) -> None:
    scores = analyser.analyse(
        ReviewInput("x", "Lovely", "The animation is gorgeous. Her singing voice is beautiful.")
    )
    assert scores.cinematography > 0 and scores.acting > 0
    assert scores.storytelling is None and scores.music_sound is None and scores.themes is None
    panned = analyser.analyse(ReviewInput("x", None, "The acting is terrible and the actors are wooden."))
    assert panned.acting < 0 and [getattr(panned, a) for a in ASPECTS if a != "acting"] == [None] * 4
    message = analyser.analyse(
        ReviewInput("x", None, "The political message is preachy, stupid and insulting.")
    )
    assert message.themes is not None and message.themes < 0
    moving = analyser.analyse(ReviewInput("x", None, "A deeply moving film about loss and grief."))
    assert moving.themes is not None and moving.overall > 0
    touching = analyser.analyse(ReviewInput("x", None, "A touching film about loss."))
    assert touching.themes is not None and touching.themes > 0
    race = analyser.analyse(ReviewInput("x", None, "The race was thrilling until the last lap."))
    assert race.themes is None


@pytest.mark.fast
@pytest.mark.xfail(
    strict=True,
    reason="a known mistake since offline-v5: themes -1 (offline-v7: P(negative) 0.55), because VADER "
    "reads 'loss and grief' as negative and the polarity model gives this seven-word text only +0.25 "
    "log-odds (offline-v4: +0.77 and themes +1); overall is right (+1)",
)
def test_a_short_moving_sentence_about_grief_has_positive_themes(analyser: OfflineAnalyser) -> None:
    moving = analyser.analyse(ReviewInput("x", None, "A deeply moving film about loss and grief."))
    assert moving.themes is not None and moving.themes > 0


@pytest.mark.fast
def test_written_ratings_are_read_and_removed() -> None:
    assert extract_text_rating("Fun for kids. 3/10") == ("Fun for kids.  ", pytest.approx(3.0))
    assert extract_text_rating("I'd give it 4 out of 5 stars")[1] == pytest.approx(8.0)
    assert extract_text_rating("No rating here")[1] is None
    assert [to_scale(v, (0.1, 0.5)) for v in (-0.9, -0.2, 0.0, 0.3, 0.5)] == [-2, -1, 0, 1, 2]


@pytest.mark.fast
def test_it_names_its_model_and_version(analyser: OfflineAnalyser) -> None:
    assert analyser.name == "offline" and analyser.prompt_version == "offline-v7"
    assert analyser.model == f"tfidf-logreg-{analyser.polarity.version}-aspects-{analyser.aspects.version}"
    assert len(analyser.polarity.version) == 12 and len(analyser.aspects.version) == 8


def _evidence(logodds: float = 0.0, lukewarm: bool = False, turns: bool = False) -> AspectEvidence:
    return AspectEvidence(("x",), logodds, 0.0, 0.0, 0.0, lukewarm, turns)


@pytest.mark.fast
def test_the_aspect_model_says_mixed_past_the_threshold_and_strong_past_strong() -> None:
    # P(class) = softmax(weight * clause log-odds + intercept): mixed wins near 0 log-odds
    model = AspectModel(
        ((-1, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0), (1, 0, 0, 0, 0, 0)), (0, 0, 0), {"acting": 0.3}, 0.75
    )
    negative, mixed, positive = model.probabilities(_evidence(0.0))
    assert (
        negative == pytest.approx(1 / 3)
        and mixed == pytest.approx(1 / 3)
        and positive == pytest.approx(1 / 3)
    )
    assert model.score("acting", _evidence(0.0)) == 0  # P(mixed) 1/3 >= 0.3
    assert model.score("acting", _evidence(1.0)) == 1  # P(pos) - P(neg) = 0.63: one step
    assert model.score("acting", _evidence(3.0)) == 2 and model.score("acting", _evidence(-3.0)) == -2
    never_mixed = AspectModel(model.weights, model.intercepts, {"acting": 1.01}, 0.75)
    assert never_mixed.score("acting", _evidence(0.0)) == 1  # a tie leans positive


@pytest.mark.fast
def test_the_shipped_aspect_model_reads_a_turn_or_a_lukewarm_word_as_more_mixed(
    analyser: OfflineAnalyser,
) -> None:
    plain, turning, lukewarm = (
        analyser.aspects.probabilities(_evidence(0.5, turns=t, lukewarm=w))
        for t, w in ((0, 0), (1, 0), (0, 1))
    )
    assert turning[1] > plain[1] and lukewarm[1] > plain[1]
    assert analyser.aspects.probabilities(_evidence(3.0))[2] > 0.8  # clear praise is positive


@pytest.mark.fast
def test_clauses_go_to_the_aspects_they_name_with_their_sentences(analyser: OfflineAnalyser) -> None:
    text = "The acting is decent but the plot drags. Great music! The cast, however, is fine."
    sentences = list(sentence_clauses(text))
    found = aspect_clauses(sentences)
    assert found["acting"] == (
        ["The acting is decent", "The cast, however, is fine."],  # one aspect: the whole sentence
        ["The acting is decent but the plot drags.", "The cast, however, is fine."],
    )
    assert found["storytelling"] == (["but the plot drags."], ["The acting is decent but the plot drags."])
    assert found["music_sound"] == (["Great music!"], ["Great music!"]) and "themes" not in found
    logodds = {clause: analyser.polarity.logit(clause) for _, pieces in sentences for _, clause in pieces}
    evidence = aspect_evidence(sentences, 1.5, 8, logodds)
    assert set(evidence) == {"acting", "storytelling", "music_sound"}
    acting = evidence["acting"]
    assert (
        acting.lukewarm
        and acting.turns
        and acting.review_logodds == 1.5
        and acting.stars == pytest.approx(5 / 9)
    )
    assert not evidence["music_sound"].lukewarm and not evidence["music_sound"].turns
    assert evidence["music_sound"].clause_vader > 0.5


@needs_shared
@pytest.mark.fast
def test_score_reports_progress_and_never_fails(analyser: OfflineAnalyser) -> None:
    reviews = [review.review for review in read_sample(SHARED)][:120]
    seen: list[int] = []
    run = analyser.score(reviews, progress=seen.append)
    assert sum(seen) == 120 and len(seen) == 3
    assert all(r.error is None and r.scores is not None for r in run.results)
    assert run.usage.requests == 0 and run.cost == 0.0


# The targets of issue 14 on the held-out split test7 (198 labelled reviews of many films, labelled
# after test6 had been measured, never trained or tuned on, and measured once, for offline-v7, after
# that model was committed; 617 polarity rows of the test split). Measured 2026-11-30 (README,
# section "Sentiment"): overall binary accuracy 0.859 vs VADER-only 0.742 (+0.117; on the 617 rows
# 0.906 vs 0.682, +0.224); aspect macro-F1 0.527 [0.495, 0.580] vs 0.462. offline-v6, which differs
# only by 200 more polarity rows and 200 fewer aspect labels, scored 0.575 on test6 and offline-v5
# 0.614 on the 102 reviews of test5; cross-validation over the 1,378 development labels says 0.579.
@pytest.fixture(scope="module")
def held_out() -> Assessment:
    if not (SHARED / POLARITY_CSV).exists():
        pytest.skip(f"no shared folder at {SHARED}")
    return assess(OfflineAnalyser(), read_hand_labels(TEST7_LABELS_FILE), SHARED, split="test7")


@pytest.mark.slow
def test_held_out_overall_polarity_meets_the_targets(held_out: Assessment) -> None:
    offline, vader, stars, absent = held_out.groups["all"]
    assert (offline.system, vader.system, absent.system) == ("offline", "vader-only", "always-absent")
    assert offline.reviews == 198 and offline.failed == 0
    assert offline.binary_accuracy.value >= 0.85
    # measured +0.117 here, where VADER-only does unusually well (0.742; 0.682 on the 617 rows)
    assert offline.binary_accuracy.value - vader.binary_accuracy.value >= 0.10
    many = {row.system: row for row in held_out.polarity_split}
    assert many["offline"].reviews == 617 and many["offline"].accuracy.value >= 0.85
    assert many["offline"].accuracy.value - many["vader-only"].accuracy.value >= 0.20
    assert stars.neutral_answers > 0  # the star baseline has nothing to say on reviews without stars


@pytest.mark.slow
def test_held_out_aspects_stay_above_the_measured_floor_and_beat_vader(held_out: Assessment) -> None:
    offline, vader, _, absent = held_out.groups["all"]
    assert offline.aspect_mean_f1.value >= 0.52 and offline.aspect_mean_f1.value > vader.aspect_mean_f1.value
    assert offline.aspect_mean_f1.value > absent.aspect_mean_f1.value


@pytest.mark.slow
@needs_shared
def test_a_second_labeller_agrees_with_the_first_far_more_than_the_analyser() -> None:
    first, second = read_hand_labels(TEST4_LABELS_FILE), read_hand_labels(TEST4_SECOND_LABELS_FILE)
    rows = labeller_agreement(OfflineAnalyser(), first, second, SHARED)
    assert [row.system for row in rows] == [
        *("second labeller", "offline", "vader-only", "stars-only", "always-absent")
    ]
    assert {row.reviews for row in rows} == {98}
    labeller, offline = rows[0].aspect_mean_f1.value, rows[1].aspect_mean_f1.value
    # as measured (README); the aspect model trains on these reviews since offline-v5 (offline-v4: 0.550)
    assert round(labeller, 3) == 0.914 and round(offline, 3) == 0.564
    # a labeller agrees with itself completely: the comparison is the metric, not a constant
    itself = labeller_agreement(OfflineAnalyser(), first, first, SHARED)[0]
    assert itself.reviews == 199 and itself.aspect_mean_f1.value == 1.0


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 14 is open: measured 0.527 [0.495, 0.580] aspect macro-F1 and +0.117 over VADER-only "
    "on test7; six numbers of evidence per aspect cannot tell a mixed verdict from a passing mention",
)
def test_held_out_meets_the_aspect_and_vader_margin_targets(held_out: Assessment) -> None:
    offline, vader, _, _ = held_out.groups["all"]
    assert offline.aspect_mean_f1.value >= 0.60
    assert offline.binary_accuracy.value - vader.binary_accuracy.value >= 0.20
