"""Writing scrapes into the database: metadata snapshots and idempotent review upserts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert

from imdb_tracker.db.schema import movie_snapshots, movies, reviews
from imdb_tracker.imdb.models import MovieMetadata, Review


def save_metadata(conn: Connection, meta: MovieMetadata, taken_at: datetime) -> None:
    """Upsert the ``movies`` row from a title-page scrape and append a ``movie_snapshots`` row."""
    values = {
        "title": meta.title,
        "original_title": meta.original_title,
        "year": meta.year,
        "runtime_minutes": meta.runtime_minutes,
        "genres": list(meta.genres),
        "plot": meta.plot,
        "poster_url": meta.poster_url,
        "last_metadata_at": taken_at,
    }
    conn.execute(
        insert(movies)
        .values(movie_id=meta.movie_id, **values)
        .on_conflict_do_update(index_elements=["movie_id"], set_=values)
    )
    conn.execute(
        movie_snapshots.insert().values(
            movie_id=meta.movie_id,
            taken_at=taken_at,
            rating=meta.rating,
            votes=meta.votes,
            review_count=meta.review_count,
            metascore=meta.metascore,
            popularity=meta.popularity,
        )
    )


@dataclass
class UpsertCounts:
    """How a batch of scraped reviews compared with what was stored."""

    new: int = 0
    updated: int = 0  # content hash changed (edited review), or it had been marked removed
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    @property
    def total(self) -> int:
        """Reviews seen."""
        return self.new + self.updated + self.unchanged


def upsert_reviews(conn: Connection, batch: Sequence[Review], seen_at: datetime) -> UpsertCounts:
    """Insert or update one page of reviews (``ON CONFLICT (review_id) DO UPDATE``).

    Votes refresh; ``last_seen_at`` only moves forward (a scrape committing late never turns it
    back); a review seen again loses its ``removed_at`` and its missed-scrape count. Returns how many
    were new, edited and unchanged. Idempotent.
    """
    if not batch:
        return UpsertCounts()
    unique = {review.review_id: review for review in batch}
    stored = {
        review_id: (content_hash, removed_at is not None)
        for review_id, content_hash, removed_at in conn.execute(
            select(reviews.c.review_id, reviews.c.content_hash, reviews.c.removed_at).where(
                reviews.c.review_id.in_(unique)
            )
        )
    }
    counts = UpsertCounts()
    rows = []
    for review in unique.values():
        content_hash = review.content_hash
        previous = stored.get(review.review_id)
        if previous is None:
            counts.new += 1
        elif previous == (content_hash, False):
            counts.unchanged += 1
        else:
            counts.updated += 1
        rows.append(
            {
                "review_id": review.review_id,
                "movie_id": review.movie_id,
                "author": review.author,
                "author_id": review.author_id,
                "rating": review.rating,
                "title": review.title,
                "text": review.text,
                "submitted_at": review.submitted_at,
                "helpful_up": review.helpful_up,
                "helpful_down": review.helpful_down,
                "spoiler": review.spoiler,
                "first_seen_at": seen_at,
                "last_seen_at": seen_at,
                "removed_at": None,
                "content_hash": content_hash,
                "missed_scrapes": 0,
            }
        )
    statement = insert(reviews).values(rows)
    refreshed = {
        name: statement.excluded[name] for name in rows[0] if name not in ("review_id", "first_seen_at")
    }
    refreshed["last_seen_at"] = func.greatest(reviews.c.last_seen_at, statement.excluded.last_seen_at)
    conn.execute(statement.on_conflict_do_update(index_elements=["review_id"], set_=refreshed))
    return counts


REMOVAL_EVIDENCE = 2
"""Complete scrapes in a row that must miss a review before it is marked removed."""


def record_complete_scrape(
    conn: Connection, movie_id: str, scrape_started_at: datetime, removed_at: datetime
) -> int:
    """After a complete scrape that began at ``scrape_started_at``: each current review of the movie
    it did not return has missed one more scrape, and those that missed :data:`REMOVAL_EVIDENCE` in a
    row are marked removed (hidden, never deleted). Returns how many were marked.

    Call only after a scrape that followed IMDb's cursor chain to its end and returned about as
    many reviews as IMDb announces.
    """
    current = and_(reviews.c.movie_id == movie_id, reviews.c.removed_at.is_(None))
    conn.execute(
        update(reviews)
        .where(current, reviews.c.last_seen_at < scrape_started_at)
        .values(missed_scrapes=reviews.c.missed_scrapes + 1)
    )
    result = conn.execute(
        update(reviews)
        .where(current, reviews.c.missed_scrapes >= REMOVAL_EVIDENCE)
        .values(removed_at=removed_at)
    )
    return result.rowcount


def set_last_reviews_at(conn: Connection, movie_id: str, at: datetime) -> None:
    """Record when the reviews of a movie were last scraped."""
    conn.execute(update(movies).where(movies.c.movie_id == movie_id).values(last_reviews_at=at))


def stored_review_count(conn: Connection, movie_id: str) -> int:
    """Reviews of a movie currently on IMDb as far as we know (not marked removed)."""
    return stored_review_counts(conn, [movie_id]).get(movie_id, 0)


def stored_review_counts(conn: Connection, movie_ids: Sequence[str]) -> dict[str, int]:
    """Reviews currently on IMDb as far as we know (not marked removed) of each of ``movie_ids`` that
    has any, in one query."""
    query = (
        select(reviews.c.movie_id, func.count())
        .where(reviews.c.movie_id.in_(list(movie_ids)), reviews.c.removed_at.is_(None))
        .group_by(reviews.c.movie_id)
    )
    return {movie_id: count for movie_id, count in conn.execute(query)}


def newest_reviews(conn: Connection, movie_id: str, limit: int = 5) -> list[Row]:
    """The most recently submitted current reviews of a movie (submitted_at, rating, author, title)."""
    query = (
        select(reviews.c.submitted_at, reviews.c.rating, reviews.c.author, reviews.c.title)
        .where(reviews.c.movie_id == movie_id, reviews.c.removed_at.is_(None))
        .order_by(reviews.c.submitted_at.desc(), reviews.c.review_id.desc())
        .limit(limit)
    )
    return list(conn.execute(query))
