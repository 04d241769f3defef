"""Queries on the ``movies`` table (client watchlists: :mod:`imdb_tracker.db.clients`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from imdb_tracker.db.schema import client_movies, clients, movie_posters, movies, reviews
from imdb_tracker.imdb.posters import Poster


@dataclass(frozen=True)
class MovieRow:
    """A tracked movie as the registry lists it."""

    movie_id: str
    title: str | None
    year: int | None
    reviews_stored: int
    last_metadata_at: datetime | None
    last_reviews_at: datetime | None
    clients: tuple[str, ...]


def register_movie(conn: Connection, movie_id: str, title: str | None = None) -> bool:
    """Insert a ``movies`` row if absent (metadata comes later from the scraper); True if new."""
    result = conn.execute(
        insert(movies)
        .values(movie_id=movie_id, title=title)
        .on_conflict_do_nothing(index_elements=["movie_id"])
    )
    return result.rowcount == 1


def poster_source(conn: Connection, movie_id: str) -> str | None:
    """The URL the stored poster of a movie came from (None: no poster stored)."""
    return conn.execute(
        select(movie_posters.c.source_url).where(movie_posters.c.movie_id == movie_id)
    ).scalar()


def save_poster(conn: Connection, movie_id: str, poster: Poster) -> None:
    """Store (or replace) the poster image of a movie."""
    values = {"content_type": poster.content_type, "image": poster.image, "source_url": poster.source_url}
    conn.execute(
        insert(movie_posters)
        .values(movie_id=movie_id, **values)
        .on_conflict_do_update(index_elements=["movie_id"], set_={**values, "fetched_at": func.now()})
    )


def purge_movie(conn: Connection, movie_id: str) -> None:
    """Delete a movie and everything stored about it (reviews, sentiments, snapshots, client links)."""
    conn.execute(delete(movies).where(movies.c.movie_id == movie_id))


def describe_movies(conn: Connection, movie_ids: list[str]) -> list[MovieRow]:
    """Title, year, stored review count, last scrapes and clients of each id (also ids with no row yet)."""
    review_counts = (
        select(reviews.c.movie_id, func.count().label("n"))
        .where(reviews.c.removed_at.is_(None))
        .group_by(reviews.c.movie_id)
        .subquery()
    )
    client_names = (
        select(client_movies.c.movie_id, func.array_agg(clients.c.name).label("names"))
        .join(clients, clients.c.client_id == client_movies.c.client_id)
        .group_by(client_movies.c.movie_id)
        .subquery()
    )
    query = (
        select(
            movies.c.movie_id,
            movies.c.title,
            movies.c.year,
            func.coalesce(review_counts.c.n, 0),
            movies.c.last_metadata_at,
            movies.c.last_reviews_at,
            client_names.c.names,
        )
        .outerjoin(review_counts, review_counts.c.movie_id == movies.c.movie_id)
        .outerjoin(client_names, client_names.c.movie_id == movies.c.movie_id)
        .where(movies.c.movie_id.in_(movie_ids))
    )
    found = {
        row[0]: MovieRow(row[0], row[1], row[2], row[3], row[4], row[5], tuple(sorted(row[6] or ())))
        for row in conn.execute(query)
    }
    return [found.get(m, MovieRow(m, None, None, 0, None, None, ())) for m in sorted(movie_ids)]


def movies_with_unscraped_reviews(conn: Connection, movie_ids: list[str]) -> list[tuple[str, int, int]]:
    """``(movie_id, announced, stored)`` for each movie whose newest snapshot announces more reviews
    than are stored. One query, whatever the number of movies."""
    query = text(
        """
        WITH latest AS (
            SELECT DISTINCT ON (movie_id) movie_id, review_count
            FROM movie_snapshots
            WHERE movie_id = ANY(CAST(:ids AS text[]))
            ORDER BY movie_id, taken_at DESC
        ), stored AS (
            SELECT movie_id, count(*) AS n FROM reviews
            WHERE removed_at IS NULL AND movie_id = ANY(CAST(:ids AS text[]))
            GROUP BY movie_id
        )
        SELECT l.movie_id, l.review_count, coalesce(s.n, 0)
        FROM latest l LEFT JOIN stored s USING (movie_id)
        WHERE l.review_count > coalesce(s.n, 0)
        ORDER BY l.movie_id
        """
    )
    return [(row[0], row[1], row[2]) for row in conn.execute(query, {"ids": movie_ids})]
