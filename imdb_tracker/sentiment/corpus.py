"""The labelled review sources the offline model is trained and evaluated on, and the fixed rule
that splits them.

Two sources, both read from the shared folder (setting ``shared_dir``, env ``IMDB_TRACKER_SHARED``,
default ``../shared``) and never copied into the repository:

* ``imdb_polarity``: ``sentiment/imdb_polarity_sample.csv``, 3,079 reviews of many films from the
  IMDb Large Movie Review Dataset (Maas et al., "Learning Word Vectors for Sentiment Analysis",
  ACL 2011), positive/negative from the reviewer's stars; a review is keyed by its ``row``.
* ``sample``: ``sample/reviews_raw_2025-04-11.csv``, 2,456 reviews of two movies with their star
  ratings; a review is keyed by its IMDb review id.

:func:`split_of` puts every key into ``train`` (70 %), ``dev`` (10 %) or ``test`` (20 %) by a hash
of the key alone, decided before any model or threshold existed. The model trains on ``train``
only; thresholds are tuned on ``dev``; ``test`` is only ever measured.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from imdb_tracker.sentiment.models import ReviewInput

Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")
POLARITY_SOURCE = "imdb_polarity"
POLARITY_CSV = Path("sentiment") / "imdb_polarity_sample.csv"
SAMPLE_CSV = Path("sample") / "reviews_raw_2025-04-11.csv"


def polarity_key(row: int) -> str:
    """Key of a row of the polarity CSV (its position in the original 50,000-row file)."""
    return f"{POLARITY_SOURCE}:{row}"


def split_of(key: str) -> Split:
    """``test`` for 2 keys in 10, ``dev`` for 1 in 10, else ``train``, by the SHA-256 of ``key``."""
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 10
    return "test" if bucket < 2 else "dev" if bucket == 2 else "train"


def label_order(key: str) -> str:
    """The order in which reviews of a split were picked for hand labelling (a second hash)."""
    return hashlib.sha256(f"label-order:{key}".encode()).hexdigest()


@dataclass(frozen=True)
class CorpusReview:
    """A review of a labelled source: its key, where it comes from (``imdb_polarity`` or the
    movie id), the review itself, and its polarity from the reviewer's stars (+1, -1, or None for
    a sample review rated 5-6 or not rated)."""

    key: str
    source: str
    review: ReviewInput
    polarity: int | None

    @property
    def split(self) -> Split:
        """See :func:`split_of`."""
        return split_of(self.key)


def star_polarity(rating: int | None) -> int | None:
    """+1 for 7-10 stars, -1 for 1-4, None otherwise: the rule the polarity dataset was made with."""
    if rating is None or 5 <= rating <= 6:
        return None
    return 1 if rating >= 7 else -1


def read_polarity(shared: Path) -> Iterator[CorpusReview]:
    """Rows of the polarity CSV (``<br />`` tags kept, as in the file)."""
    path = shared / POLARITY_CSV
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            key = polarity_key(int(record["row"]))
            polarity = {"positive": 1, "negative": -1}[record["sentiment"]]
            yield CorpusReview(key, POLARITY_SOURCE, ReviewInput(key, None, record["review"]), polarity)


def read_sample(shared: Path) -> Iterator[CorpusReview]:
    """Reviews of the two sample movies with their titles and star ratings."""
    path = shared / SAMPLE_CSV
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            rating = int(float(record["rating"])) if record["rating"] else None
            review = ReviewInput(record["review_id"], record["title"] or None, record["text"], rating=rating)
            yield CorpusReview(record["review_id"], record["movie_id"], review, star_polarity(rating))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
