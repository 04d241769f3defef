"""What the replica knows: movies and their reviews, built from the real sample CSV.

Author ids and spoiler flags are not in the CSV; they are derived deterministically from the
author name and review id (:func:`author_id_for`, :func:`is_spoiler`) so tests can predict them.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

from imdb_tracker.imdb.models import Review

SOURCE_TREE = Path(__file__).resolve().parents[2]
SAMPLE_MOVIES = ("tt0029583", "tt6208148")


def shared_dir() -> Path:
    """``$IMDB_TRACKER_SHARED``, else ``../shared`` beside the source checkout (or, for an installed
    package, beside the working directory)."""
    if "IMDB_TRACKER_SHARED" in os.environ:
        return Path(os.environ["IMDB_TRACKER_SHARED"])
    checkout = SOURCE_TREE if (SOURCE_TREE / "setup.py").is_file() else Path.cwd()
    return checkout.parent / "shared"


def sample_csv() -> Path:
    """The real reviews scraped on 2025-04-11."""
    return shared_dir() / "sample" / "reviews_raw_2025-04-11.csv"


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def author_id_for(author: str) -> str:
    """Deterministic IMDb-style user id (``ur`` + 8 digits) of an author name."""
    return f"ur{_digest('author:' + author) % 10**8:08d}"


def is_spoiler(review_id: str) -> bool:
    """Deterministic ~5 % spoiler flag of a review."""
    return _digest("spoiler:" + review_id) % 100 < 5


@dataclass(frozen=True)
class StoredReview:
    """A review as the replica stores it (plain text; rendered to HTML on the way out)."""

    review_id: str
    movie_id: str
    author: str
    author_id: str
    rating: int | None
    title: str
    text: str
    submitted_at: date
    helpful_up: int
    helpful_down: int
    spoiler: bool

    @property
    def number(self) -> int:
        """Numeric part of the id (tie-breaker for ordering)."""
        return int(self.review_id[2:])

    def to_review(self) -> Review:
        """The record the scraper is expected to produce for this review."""
        return Review(
            review_id=self.review_id,
            movie_id=self.movie_id,
            author=self.author,
            author_id=self.author_id,
            rating=self.rating,
            title=self.title,
            text=self.text,
            submitted_at=self.submitted_at,
            helpful_up=self.helpful_up,
            helpful_down=self.helpful_down,
            spoiler=self.spoiler,
        )


@dataclass
class StoredMovie:
    """A title with invented-but-plausible metadata and its reviews."""

    movie_id: str
    title: str
    original_title: str
    year: int
    runtime_minutes: int
    genres: list[str]
    plot: str
    rating: float
    votes: int
    metascore: int | None
    popularity: int
    release_date: date
    reviews: dict[str, StoredReview] = field(default_factory=dict)


def review_from_row(row: dict[str, str]) -> StoredReview:
    """A CSV row as given (rating "9.0" -> 9, empty -> None)."""
    return StoredReview(
        review_id=row["review_id"],
        movie_id=row["movie_id"],
        author=row["author"],
        author_id=author_id_for(row["author"]),
        rating=int(float(row["rating"])) if row["rating"] else None,
        title=row["title"],
        text=row["text"],
        submitted_at=date.fromisoformat(row["date"]),
        helpful_up=int(row["upvotes"]),
        helpful_down=int(row["downvotes"]),
        spoiler=is_spoiler(row["review_id"]),
    )


@lru_cache(maxsize=1)
def sample_reviews() -> tuple[StoredReview, ...]:
    """Every row of the sample CSV, in file order."""
    with sample_csv().open(newline="", encoding="utf-8") as handle:
        return tuple(review_from_row(row) for row in csv.DictReader(handle))


def sample_movies() -> dict[str, StoredMovie]:
    """The two sample movies with their reviews (rows used as given, including their movie_id)."""
    movies = {
        "tt0029583": StoredMovie(
            movie_id="tt0029583",
            title="Snow White and the Seven Dwarfs",
            original_title="Snow White and the Seven Dwarfs",
            year=1937,
            runtime_minutes=83,
            genres=["Animation", "Adventure", "Family"],
            plot=(
                "Exiled into the dangerous forest by her wicked stepmother, a princess is rescued by seven "
                "dwarf miners who make her part of their household."
            ),
            rating=7.6,
            votes=218_734,
            metascore=95,
            popularity=2_163,
            release_date=date(1938, 2, 4),
        ),
        "tt6208148": StoredMovie(
            movie_id="tt6208148",
            title="Snow White",
            original_title="Snow White",
            year=2025,
            runtime_minutes=109,
            genres=["Adventure", "Family", "Fantasy"],
            plot=(
                "A princess joins forces with seven dwarfs and a band of rebels to free her kingdom from "
                "the Evil Queen's cruel rule."
            ),
            rating=1.9,
            votes=386_412,
            metascore=50,
            popularity=387,
            release_date=date(2025, 3, 21),
        ),
    }
    for review in sample_reviews():
        movies[review.movie_id].reviews[review.review_id] = review
    return movies


def synthetic_movie(movie_id: str, n_reviews: int, title: str | None = None) -> StoredMovie:
    """A movie whose ``n_reviews`` reviews repeat the sample texts under new ids ``rw8<mmm><nnnnnn>``."""
    if not 0 <= n_reviews < 10**6:
        raise ValueError("a synthetic movie holds 0 to 999,999 reviews")
    base = 8_000_000_000 + (int(movie_id[2:]) % 1000) * 10**6
    sample = sample_reviews()
    movie = StoredMovie(
        movie_id=movie_id,
        title=title or f"Synthetic Movie {movie_id[2:]}",
        original_title=title or f"Synthetic Movie {movie_id[2:]}",
        year=2024,
        runtime_minutes=97,
        genres=["Drama"],
        plot="A replica-only movie whose reviews repeat the sample texts.",
        rating=6.4,
        votes=12_345,
        metascore=None,
        popularity=5_000,
        release_date=date(2024, 6, 1),
    )
    for index in range(n_reviews):
        source = sample[index % len(sample)]
        review_id = f"rw{base + index}"
        movie.reviews[review_id] = replace(
            source, review_id=review_id, movie_id=movie_id, spoiler=is_spoiler(review_id)
        )
    return movie
