"""The two sample movies of ``shared/sample`` loaded into the tracker tables, for reporting tests.

Reviews come from the CSV; sentiments from the offline analyser (computed once per process);
rating snapshots are made up around the scrape date so the history charts have points.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Engine, insert

from imdb_tracker.db.reporting import refresh_reporting
from imdb_tracker.db.schema import movie_posters, movie_snapshots, movies, review_sentiments, reviews
from imdb_tracker.imdb.models import review_content_hash
from imdb_tracker.sentiment.cache import Fingerprint
from imdb_tracker.sentiment.models import SCORE_FIELDS, ReviewInput
from imdb_tracker.sentiment.offline import OfflineAnalyser
from imdb_tracker_dev.replica.render import poster_png
from imdb_tracker_tests.conftest import SAMPLE_CSV

SAMPLE_MOVIES = {
    "tt0029583": {
        "title": "Snow White and the Seven Dwarfs",
        "year": 1937,
        "runtime_minutes": 83,
        "genres": ["Animation", "Family", "Fantasy"],
        "poster_url": "https://m.media-amazon.com/images/M/snow-white-1937.jpg",
        "ratings": (7.6, 7.6, 7.6, 7.6, 7.6),
        "votes": (206_100, 206_400, 206_900, 207_500, 208_000),
    },
    "tt6208148": {
        "title": "Snow White",
        "year": 2025,
        "runtime_minutes": 109,
        "genres": ["Adventure", "Family", "Fantasy"],
        "poster_url": "https://m.media-amazon.com/images/M/snow-white-2025.jpg",
        "ratings": (2.3, 1.9, 1.7, 1.6, 1.6),
        "votes": (152_000, 271_000, 334_000, 362_000, 379_000),
    },
}
SCRAPED_ON = date(2025, 4, 11)
SNAPSHOT_DAYS = (-21, -14, -7, -3, 0)  # days before SCRAPED_ON
LAST_SCRAPE_AGE = timedelta(hours=5)


@lru_cache(maxsize=1)
def sample_reviews() -> tuple[dict, ...]:
    """The CSV's reviews as ``reviews`` rows."""
    with SAMPLE_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    seen_on = datetime.combine(SCRAPED_ON, datetime.min.time(), tzinfo=UTC)
    result = []
    for row in rows:
        rating = int(float(row["rating"])) if row["rating"] else None
        title = row["title"] or None
        result.append(
            {
                "review_id": row["review_id"],
                "movie_id": row["movie_id"],
                "author": row["author"],
                "rating": rating,
                "title": title,
                "text": row["text"],
                "submitted_at": date.fromisoformat(row["date"]),
                "helpful_up": int(row["upvotes"]),
                "helpful_down": int(row["downvotes"]),
                "spoiler": False,
                "first_seen_at": seen_on,
                "last_seen_at": seen_on,
                "content_hash": review_content_hash(title, row["text"], rating, False),
            }
        )
    return tuple(result)


@lru_cache(maxsize=1)
def sample_sentiments() -> tuple[dict, ...]:
    """Offline-analyser scores of every sample review as ``review_sentiments`` rows."""
    analyser = OfflineAnalyser()
    rows = []
    for review in sample_reviews():
        scored = ReviewInput(review["review_id"], review["title"], review["text"], rating=review["rating"])
        scores = analyser.analyse(scored)
        fingerprint = Fingerprint.of(scored, analyser)
        rows.append(
            {
                "review_id": review["review_id"],
                "movie_id": review["movie_id"],
                **{name: getattr(scores, name) for name in SCORE_FIELDS},
                "backend": fingerprint.backend,
                "model": fingerprint.model,
                "prompt_version": fingerprint.prompt_version,
                "content_hash": fingerprint.content_hash,
            }
        )
    return tuple(rows)


def load_sample(engine: Engine) -> None:
    """Insert both sample movies with snapshots, posters (the replica's), reviews and sentiments,
    then refresh the reporting."""
    last_scrape = datetime.now(UTC) - LAST_SCRAPE_AGE
    scraped = datetime.combine(SCRAPED_ON, datetime.min.time(), tzinfo=UTC) + timedelta(hours=16)
    movie_rows, snapshot_rows = [], []
    for movie_id, info in SAMPLE_MOVIES.items():
        movie_rows.append(
            {
                "movie_id": movie_id,
                "title": info["title"],
                "original_title": info["title"],
                "year": info["year"],
                "runtime_minutes": info["runtime_minutes"],
                "genres": info["genres"],
                "poster_url": info["poster_url"],
                "last_metadata_at": last_scrape,
                "last_reviews_at": last_scrape,
            }
        )
        for days, rating, votes in zip(SNAPSHOT_DAYS, info["ratings"], info["votes"], strict=True):
            snapshot_rows.append(
                {
                    "movie_id": movie_id,
                    "taken_at": scraped + timedelta(days=days),
                    "rating": rating,
                    "votes": votes,
                }
            )
    with engine.begin() as conn:
        conn.execute(insert(movies), movie_rows)
        conn.execute(insert(movie_snapshots), snapshot_rows)
        conn.execute(
            insert(movie_posters),
            [
                {
                    "movie_id": movie_id,
                    "content_type": "image/png",
                    "image": poster_png(movie_id),
                    "source_url": info["poster_url"],
                }
                for movie_id, info in SAMPLE_MOVIES.items()
            ],
        )
        conn.execute(insert(reviews), list(sample_reviews()))
        conn.execute(insert(review_sentiments), list(sample_sentiments()))
        refresh_reporting(conn)
