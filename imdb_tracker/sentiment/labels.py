"""Hand labels (five aspects + overall) and the reviews they belong to.

A label line names its review in one of three ways:

* ``{"source": "imdb_polarity", "row": 1568, ...}``: a row of the shared IMDb polarity sample;
* ``{"source": "sample", "review_id": "rw…", ...}``: a review of the shared two-movie sample;
* ``{"review_id": "…", ...}``: a review whose text comes from a JSON-lines file given separately
  (``imdb-tracker sentiment evaluate --reviews``), for labels of your own.

Texts are read from the shared folder, never stored with the labels. The project's evaluation labels
are in ``hand_labels/labels.jsonl`` and its training labels (reviews of the ``train`` split, for the
offline analyser's aspect model) in ``hand_labels/train_labels.jsonl``, and the separately labelled
splits ``test2`` .. ``test7`` in ``hand_labels/test<N>_labels.jsonl`` (guide:
``hand_labels/README.md``). A labelled
row of the polarity sample is in the split :func:`~imdb_tracker.sentiment.corpus.split_of` gives
its key; a labelled sample review is ``test`` when its key is and ``dev`` otherwise; labels of your
own are all ``test``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from imdb_tracker.sentiment.corpus import (
    POLARITY_SOURCE,
    CorpusReview,
    Split,
    polarity_key,
    read_polarity,
    read_sample,
    split_of,
)
from imdb_tracker.sentiment.jsonl import SentimentInputError, json_records, read_text_lines
from imdb_tracker.sentiment.models import SCORE_FIELDS, AspectScores, ReviewInput

LABELS_FILE = Path(__file__).parent / "hand_labels" / "labels.jsonl"
TRAIN_LABELS_FILE = LABELS_FILE.with_name("train_labels.jsonl")
TEST2_LABELS_FILE = LABELS_FILE.with_name("test2_labels.jsonl")
"""The split ``test2`` (many films, labelled before offline-v4 existed): never trained or tuned on,
measured once for offline-v4 (``imdb-tracker sentiment evaluate --split test2``), so no longer
unseen."""
TEST3_LABELS_FILE = LABELS_FILE.with_name("test3_labels.jsonl")
"""The split ``test3`` (many films, labelled after test2 was measured and before any change to
offline-v4): never trained on, measured once for offline-v4, then used in cross-validated
experiments, so no longer unseen."""
TEST4_LABELS_FILE = LABELS_FILE.with_name("test4_labels.jsonl")
"""The split ``test4`` (many films: the polarity sample's last unlabelled ``test`` rows and unlabelled
``dev`` rows, labelled after test3 was measured and before any experiment that could see it): the
held-out split of offline-v4, trained on by offline-v5's aspect model."""
TEST5_LABELS_FILE = LABELS_FILE.with_name("test5_labels.jsonl")
"""The split ``test5`` (many films: the polarity sample's last unlabelled ``dev`` rows), labelled
after test4 was measured: the held-out split of offline-v5, trained on by offline-v6's aspect
model."""
TEST6_LABELS_FILE = LABELS_FILE.with_name("test6_labels.jsonl")
"""The split ``test6`` (many films: ``train`` rows of the polarity sample, which its polarity model no
longer trains on), labelled after test5 was measured: the held-out split of offline-v6, trained on
by offline-v7's aspect model."""
TEST7_LABELS_FILE = LABELS_FILE.with_name("test7_labels.jsonl")
"""The held-out split ``test7`` (many films: the next ``train`` rows of the polarity sample, which its
polarity model no longer trains on), labelled after test6 was measured and kept unmeasured until
offline-v7: never trained or tuned on, measured with ``imdb-tracker sentiment evaluate``."""
TEST4_SECOND_LABELS_FILE = LABELS_FILE.with_name("test4_second_labels.jsonl")
"""A second, independent labelling of test4's ``test`` rows, for the agreement between labellers."""
PROJECT_LABEL_FILES = (
    TRAIN_LABELS_FILE,
    LABELS_FILE,
    TEST2_LABELS_FILE,
    TEST3_LABELS_FILE,
    TEST4_LABELS_FILE,
    TEST5_LABELS_FILE,
    TEST6_LABELS_FILE,
    TEST7_LABELS_FILE,
)
"""Every file of the project's hand labels of review sentiment (``test4_second_labels.jsonl``
relabels reviews of ``test4``), in the order the aspect model reads them (its cross-validation folds
follow that order)."""
SAMPLE_SOURCE = "sample"
OWN_SOURCE = "own"


@dataclass(frozen=True)
class HandLabel:
    """The six labelled fields of one review, keyed like :class:`CorpusReview` keys."""

    key: str
    source: str
    scores: dict[str, int | None]

    @property
    def split(self) -> Split:
        """``train``, ``dev`` or ``test`` (see the module docstring)."""
        if self.source == OWN_SOURCE:
            return "test"
        if self.source == POLARITY_SOURCE:
            return split_of(self.key)
        return "test" if split_of(self.key) == "test" else "dev"


def read_hand_labels(path: Path = LABELS_FILE) -> list[HandLabel]:
    """Every label of ``path``; raises :class:`SentimentInputError` naming the line of a bad one."""
    labels = []
    seen: set[str] = set()
    for number, record in json_records(read_text_lines(path), str(path)):
        where = f"{path}:{number}"
        label = _label(record, where)
        if label.key in seen:
            raise SentimentInputError(f"{where}: {label.key} is labelled twice")
        seen.add(label.key)
        labels.append(label)
    return labels


def _label(record: dict, where: str) -> HandLabel:
    source = record.get("source")
    if source == POLARITY_SOURCE:
        if not isinstance(record.get("row"), int):
            raise SentimentInputError(f"{where}: an imdb_polarity label needs an integer 'row'")
        key = polarity_key(record["row"])
    elif source in (SAMPLE_SOURCE, None):
        if not isinstance(record.get("review_id"), str) or not record["review_id"]:
            raise SentimentInputError(f"{where}: missing or empty 'review_id'")
        key = record["review_id"]
    else:
        raise SentimentInputError(f"{where}: unknown source {source!r} (imdb_polarity, sample or none)")
    try:
        scores = AspectScores.model_validate({name: record.get(name) for name in SCORE_FIELDS})
    except ValidationError as exc:
        raise SentimentInputError(f"{where}: invalid label ({exc.errors()[0]['msg']})") from None
    return HandLabel(key, source or OWN_SOURCE, scores.to_dict())


@lru_cache(maxsize=1)
def labelled_keys() -> frozenset[str]:
    """Keys of the project's hand-labelled reviews, evaluation and training labels alike: the
    polarity model never trains on them, so its log-odds on them are as on unseen reviews."""
    return frozenset(label.key for path in PROJECT_LABEL_FILES for label in read_hand_labels(path))


def labelled_reviews(
    labels: Iterable[HandLabel], shared: Path, own: Iterable[ReviewInput] = ()
) -> dict[str, CorpusReview]:
    """The review of each label by key: shared sources from ``shared``, the rest from ``own``.

    Raises :class:`SentimentInputError` when a labelled review has no text.
    """
    labels = list(labels)
    sources = {label.source for label in labels}
    candidates: dict[str, CorpusReview] = {}
    if POLARITY_SOURCE in sources:
        candidates.update((r.key, r) for r in read_polarity(shared))
    if SAMPLE_SOURCE in sources:
        candidates.update((r.key, r) for r in read_sample(shared))
    for review in own:
        candidates[review.review_id] = CorpusReview(review.review_id, OWN_SOURCE, review, None)
    missing = [label.key for label in labels if label.key not in candidates]
    if missing:
        raise SentimentInputError(f"no text for {len(missing)} labelled reviews, e.g. {missing[0]}")
    return {label.key: candidates[label.key] for label in labels}
