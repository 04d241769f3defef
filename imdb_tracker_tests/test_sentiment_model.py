"""The trained models (polarity, aspects): inference, artifacts, provenance, the hand labels they may
learn from, and that retraining reproduces them.

Fast except the retraining test (marked slow); no database, no browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imdb_tracker.sentiment import aspect_training, aspects, training
from imdb_tracker.sentiment.corpus import (
    POLARITY_CSV,
    SAMPLE_CSV,
    file_sha256,
    label_order,
    read_polarity,
    split_of,
)
from imdb_tracker.sentiment.labels import (
    TEST2_LABELS_FILE,
    TEST3_LABELS_FILE,
    TEST4_LABELS_FILE,
    TEST4_SECOND_LABELS_FILE,
    TEST5_LABELS_FILE,
    TEST6_LABELS_FILE,
    TEST7_LABELS_FILE,
    TRAIN_LABELS_FILE,
    labelled_keys,
    read_hand_labels,
)
from imdb_tracker.sentiment.lexicon import ASPECT_PATTERNS, aspects_named
from imdb_tracker.sentiment.models import ASPECTS
from imdb_tracker.sentiment.polarity import (
    ARTIFACT,
    PolarityModel,
    features,
    provenance_path,
    read_artifact,
    shipped_model,
    tokens,
    weights_sha256,
    write_artifact,
)
from imdb_tracker_tests.conftest import SHARED

REPO = Path(__file__).resolve().parent.parent
SAMPLE_NAMES = re.compile(r"zegler|gadot|dwar|heigh|whistle", re.IGNORECASE)
"""The acceptance check of issue 14: names from the two sample movies."""


@pytest.mark.fast
def test_tokens_and_features_are_lower_case_words_and_bigrams() -> None:
    assert tokens("It's <br /><br />Good… Don’t!") == ["it's", "good", "don't"]
    assert features(["not", "good", "at"]) == ["not", "good", "at", "not good", "good at"]


@pytest.mark.fast
def test_negated_words_are_marked_up_to_three_words_within_the_clause() -> None:
    assert tokens("NOT good… Fun.") == ["not", "not_good", "fun"]
    assert tokens("The plot isn't very solid at all, but fun") == [
        *("the", "plot", "isn't", "not_very", "not_solid", "not_at", "all", "but", "fun")
    ]
    assert tokens("Never boring") == ["never", "not_boring"]


@pytest.mark.fast
def test_logit_is_sublinear_tfidf_l2_normalised_times_the_weights() -> None:
    model = PolarityModel({"good": (2.0, 1.5), "bad": (1.0, -3.0)}, intercept=0.25)
    # "good good bad": tf good = 1 + ln 2, tf bad = 1; values (1+ln2)*2 and 1*1, then L2-normalised
    good, bad = (1 + 0.6931471805599453) * 2.0, 1.0
    norm = (good**2 + bad**2) ** 0.5
    assert model.logit("good good bad") == pytest.approx(0.25 + (good * 1.5 - bad * 3.0) / norm)
    assert model.logit("nothing known here") == 0.25


@pytest.mark.fast
def test_inference_equals_scikit_learn_on_the_shipped_weights() -> None:
    sklearn = pytest.importorskip("sklearn")
    import numpy
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from imdb_tracker.sentiment.polarity import analyse_text

    model = shipped_model()
    names = sorted(model.weights)
    vectorizer = TfidfVectorizer(analyzer=analyse_text, vocabulary=names, sublinear_tf=True).fit(["x"])
    vectorizer.idf_ = numpy.array([model.weights[n][0] for n in names])
    classifier = LogisticRegression()
    classifier.classes_ = numpy.array([0, 1])
    classifier.coef_ = numpy.array([[model.weights[n][1] for n in names]])
    classifier.intercept_ = numpy.array([model.intercept])
    texts = [
        "A masterpiece, wonderful acting.",
        "Boring and stupid, a waste of time.",
        "The plot is the plot.",
    ]
    expected = classifier.decision_function(vectorizer.transform(texts))
    assert [model.logit(t) for t in texts] == pytest.approx(list(expected), abs=1e-9)
    assert sklearn.__version__ == model.provenance["libraries"]["scikit-learn"]


@pytest.mark.fast
def test_the_shipped_artifact_is_small_and_says_how_it_was_made() -> None:
    model = shipped_model()
    assert ARTIFACT.stat().st_size < 2_000_000 and provenance_path(ARTIFACT).stat().st_size < 10_000
    provenance = model.provenance
    assert provenance["weights_sha256"] == weights_sha256(model)
    assert "Maas" in provenance["citation"] and "ACL 2011" in provenance["citation"]
    assert provenance["hyperparameters"]["seed"] == training.SEED
    assert 0.8 < provenance["cross_validation"]["accuracy_mean"] < 1.0
    assert set(provenance["libraries"]) >= {"scikit-learn", "numpy", "python"}
    assert len(model.weights) == provenance["features"] <= training.MAX_FEATURES
    assert any(feature.startswith("not_") for feature in model.weights)  # negation marking is in use
    if (SHARED / POLARITY_CSV).exists():
        assert provenance["training_data"][str(POLARITY_CSV)] == file_sha256(SHARED / POLARITY_CSV)
        assert provenance["training_data"][str(SAMPLE_CSV)] == file_sha256(SHARED / SAMPLE_CSV)


@pytest.mark.fast
def test_the_shipped_aspect_model_says_how_it_was_made() -> None:
    model = aspects.shipped_aspect_model()
    assert aspects.ARTIFACT.stat().st_size < 10_000
    provenance = model.provenance
    assert provenance["parameters_sha256"] == aspects.parameters_sha256(model)
    assert provenance["polarity_model"] == shipped_model().version  # fitted on this model's evidence
    assert provenance["training_labels"] == {
        f"hand_labels/{path.name}": file_sha256(path) for path in aspect_training.TRAINING_LABEL_FILES
    }
    assert TEST7_LABELS_FILE not in aspect_training.TRAINING_LABEL_FILES  # the held-out split
    assert provenance["labelled_reviews"] == {"train": 400, "dev": 350, "test": 628}
    cv = provenance["cross_validation"]
    assert cv["C"] in aspect_training.C_GRID and cv["mixed_thresholds"] == model.mixed_thresholds
    assert set(cv["macro_f1_all"]) == set(model.mixed_thresholds) == set(ASPECTS)
    assert 0.5 < cv["macro_f1_all_mean"] < 0.8 and cv["reviews"] == 1378 and cv["reviews_many_films"] == 1299
    assert len(model.weights) == len(aspects.CLASSES) and {len(row) for row in model.weights} == {
        len(aspects.EVIDENCE)
    }


@pytest.mark.fast
def test_the_aspect_artifact_round_trips_and_refuses_another_format(tmp_path: Path) -> None:
    model = aspects.AspectModel(
        ((1.0, 0, 0, 0, 0, 0),) * 3, (0.0, 0.5, -0.5), dict.fromkeys(ASPECTS, 0.2), 0.7, {"n": 1}
    )
    aspects.write_artifact(model, tmp_path / "a.json")
    again = aspects.read_artifact(tmp_path / "a.json")
    assert (again.weights, again.intercepts, again.mixed_thresholds, again.strong) == (
        model.weights,
        model.intercepts,
        model.mixed_thresholds,
        model.strong,
    )
    assert again.provenance == {"n": 1, "parameters_sha256": aspects.parameters_sha256(model)}
    (tmp_path / "b.json").write_text((tmp_path / "a.json").read_text().replace('"format": 1', '"format": 9'))
    with pytest.raises(ValueError, match="format 9"):
        aspects.read_artifact(tmp_path / "b.json")


@pytest.mark.fast
def test_the_artifact_round_trips(tmp_path: Path) -> None:
    model = PolarityModel({"great": (1.5, 2.25), "not good": (3.0, -1.0)}, -0.5, {"note": "x"})
    write_artifact(model, tmp_path / "m.npz")
    again = read_artifact(tmp_path / "m.npz")
    assert (again.weights, again.intercept) == (model.weights, model.intercept)
    assert again.provenance == {"note": "x", "weights_sha256": weights_sha256(model)}


@pytest.mark.fast
def test_no_name_or_place_of_the_sample_movies_is_in_the_package() -> None:
    found = [
        str(path.relative_to(REPO))
        for path in (REPO / "imdb_tracker").rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and SAMPLE_NAMES.search(path.read_bytes().decode("utf-8", errors="replace"))
    ]
    assert found == []
    for word in ("zegler", "gadot", "dwarf", "dwarfs", "dwarves", "huntsman", "dopey", "grumpy", "heigh"):
        assert not any(word in feature.split() for feature in shipped_model().weights), word
    for word in ("castle", "queen", "witch", "prince", "huntsman", "race", "forest", "dwarfs"):
        assert not any(pattern.search(word) for pattern in ASPECT_PATTERNS.values()), word


@pytest.mark.fast
def test_aspect_vocabulary_resolves_ambiguous_words() -> None:
    assert aspects_named("The theme song is catchy.") == ["music_sound"]
    assert aspects_named("The theme of loss is handled well.") == ["themes"]
    assert aspects_named("Kevin Kline is completely convincing.") == ["acting"]
    assert aspects_named("The race was thrilling until the last lap.") == []
    assert aspects_named("The musical score was lovely but the plot drags.") == [
        "storytelling",
        "music_sound",
    ]


@pytest.mark.fast
def test_the_split_rule_is_fixed_and_labelled_reviews_are_never_trained_on() -> None:
    # decided before any model existed: a change of rule would silently mix test into training
    assert [split_of(f"imdb_polarity:{row}") for row in range(100, 107)] == [
        *("train", "test", "test", "train", "train", "train", "test")
    ]
    shares = [split_of(f"imdb_polarity:{row}") for row in range(100, 3180)]
    assert (
        0.17 < shares.count("test") / len(shares) < 0.23 and 0.08 < shares.count("dev") / len(shares) < 0.12
    )
    labels = read_hand_labels()
    assert len(labels) >= 350 and {label.split for label in labels} == {"dev", "test"}
    many_films = [label for label in labels if label.source == "imdb_polarity"]
    assert len(many_films) == 280 and all(split_of(label.key) != "train" for label in many_films)
    train_labels = read_hand_labels(TRAIN_LABELS_FILE)
    assert len(train_labels) == 200 and {(label.source, label.split) for label in train_labels} == {
        ("imdb_polarity", "train")
    }
    test2 = read_hand_labels(TEST2_LABELS_FILE)
    assert len(test2) == 159 and {(label.source, label.split) for label in test2} == {
        ("imdb_polarity", "test")
    }
    test3 = read_hand_labels(TEST3_LABELS_FILE)
    assert len(test3) == 159 and {(label.source, label.split) for label in test3} == {
        ("imdb_polarity", "test")
    }
    test4 = read_hand_labels(TEST4_LABELS_FILE)
    assert len(test4) == 199 and {(label.source, label.split) for label in test4} == {
        ("imdb_polarity", "test"),
        ("imdb_polarity", "dev"),
    }
    second = read_hand_labels(TEST4_SECOND_LABELS_FILE)
    assert {label.key for label in second} == {label.key for label in test4 if label.split == "test"}
    test5 = read_hand_labels(TEST5_LABELS_FILE)
    assert len(test5) == 102
    assert {(label.source, label.split) for label in test5} == {("imdb_polarity", "dev")}
    test6 = read_hand_labels(TEST6_LABELS_FILE)
    assert len(test6) == 200
    assert {(label.source, label.split) for label in test6} == {("imdb_polarity", "train")}
    test7 = read_hand_labels(TEST7_LABELS_FILE)
    assert len(test7) == 198
    assert {(label.source, label.split) for label in test7} == {("imdb_polarity", "train")}
    measured = [*test2, *test3, *test4, *test5, *test6]
    assert labelled_keys() == {label.key for label in [*labels, *train_labels, *measured, *test7]}
    trained_labels = {label.key for label in aspect_training.training_labels()}
    # since offline-v7 every split but the held-out test7
    assert trained_labels == {label.key for label in [*labels, *train_labels, *measured]}
    if (SHARED / POLARITY_CSV).exists():
        rows = list(read_polarity(SHARED))
        for split, count, chosen in (
            ("dev", 80, many_films),
            ("test", 200, many_films),
            ("train", 200, train_labels),
        ):
            picked = sorted((r.key for r in rows if r.split == split), key=label_order)[:count]
            assert sorted(picked) == sorted(label.key for label in chosen if split_of(label.key) == split)
        # test2: the next 160 test rows in label order; one without any verdict was left out
        unused = [r.key for r in rows if r.split == "test" and r.key not in {x.key for x in labels}]
        picked = sorted(unused, key=label_order)[:160]
        assert sorted({label.key for label in test2} | {"imdb_polarity:1885"}) == sorted(picked)
        # test3: the next 160 test rows in label order that no other label file uses; the same
        # review without a verdict came first again and was left out again
        unused = [key for key in unused if key not in {x.key for x in test2}]
        picked = sorted(unused, key=label_order)[:160]
        assert sorted({label.key for label in test3} | {"imdb_polarity:1885"}) == sorted(picked)
        # test4: every test row no other label file uses (the review without a verdict left out a
        # third time) and the first 101 unlabelled dev rows in label order
        unused = [key for key in unused if key not in {x.key for x in test3}]
        labelled_dev = {x.key for x in labels} | {x.key for x in train_labels}
        dev = [r.key for r in rows if r.split == "dev" and r.key not in labelled_dev]
        picked = [*unused, *sorted(dev, key=label_order)[:101]]
        assert sorted({label.key for label in test4} | {"imdb_polarity:1885"}) == sorted(picked)
        # test5: every dev row no other label file uses (one without a verdict left out)
        rest = {key for key in dev if key not in {x.key for x in test4}}
        assert {label.key for label in test5} | {"imdb_polarity:136"} == rest
        # test6: the next 200 train rows in label order, after the training labels' 200
        train = sorted((r.key for r in rows if r.split == "train"), key=label_order)
        assert [label.key for label in test6] == train[200:400]
        # test7: the next 200, two without any verdict left out
        without_verdict = {"imdb_polarity:1693", "imdb_polarity:289"}
        assert [label.key for label in test7] == [key for key in train[400:600] if key not in without_verdict]
        trained_on = {review.key for review in training.training_reviews(SHARED)}
        assert not trained_on & labelled_keys()
        assert all(split_of(key) == "train" for key in trained_on)


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_artifact() -> None:
    pytest.importorskip("sklearn")
    if not (SHARED / POLARITY_CSV).exists():
        pytest.skip(f"no shared folder at {SHARED}")
    retrained = training.train(SHARED)
    assert training.differences(retrained, shipped_model()) == []
    assert retrained.provenance["cross_validation"] == shipped_model().provenance["cross_validation"]
    retrained_aspects = aspect_training.train(SHARED, retrained)
    shipped_aspects = aspects.shipped_aspect_model()
    assert aspect_training.differences(retrained_aspects, shipped_aspects) == []
    assert retrained_aspects.provenance["cross_validation"] == shipped_aspects.provenance["cross_validation"]
