"""Reading reviews that need a (new) sentiment score, and storing the scores."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from imdb_tracker.db.schema import review_sentiments, reviews
from imdb_tracker.sentiment.cache import Fingerprint
from imdb_tracker.sentiment.models import SCORE_FIELDS, ReviewInput, SentimentResult


def iter_reviews_to_score(
    engine: Engine, movie_id: str, backend: str, model: str, prompt_version: str, batch_size: int = 500
) -> Iterator[list[ReviewInput]]:
    """Batches of the movie's current reviews whose stored score is missing or stale.

    Stale follows :class:`~imdb_tracker.sentiment.cache.Fingerprint`: the content hash, backend,
    model or prompt version differ from what the score was computed with. Streams from a
    server-side cursor, so a movie with many reviews is never loaded whole.
    """
    stale = or_(
        review_sentiments.c.review_id.is_(None),
        tuple_(
            review_sentiments.c.content_hash,
            review_sentiments.c.backend,
            review_sentiments.c.model,
            review_sentiments.c.prompt_version,
        ).is_distinct_from(tuple_(reviews.c.content_hash, backend, model, prompt_version)),
    )
    query = (
        select(reviews.c.review_id, reviews.c.title, reviews.c.text, reviews.c.content_hash)
        .outerjoin(review_sentiments, review_sentiments.c.review_id == reviews.c.review_id)
        .where(and_(reviews.c.movie_id == movie_id, reviews.c.removed_at.is_(None), stale))
        .order_by(reviews.c.review_id)
    )
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(query)
        for partition in result.partitions():
            yield [ReviewInput(row[0], row[1], row[2], content_hash=row[3]) for row in partition]


def save_sentiments(
    conn: Connection,
    movie_id: str,
    results: Sequence[SentimentResult],
    fingerprints: dict[str, Fingerprint],
    analysed_at: datetime,
) -> int:
    """Upsert the successful results (failed ones keep no row, so they are retried); returns rows written."""
    rows = [
        {
            "review_id": result.review_id,
            "movie_id": movie_id,
            **result.scores.to_dict(),
            "backend": fingerprints[result.review_id].backend,
            "model": fingerprints[result.review_id].model,
            "prompt_version": fingerprints[result.review_id].prompt_version,
            "content_hash": fingerprints[result.review_id].content_hash,
            "analysed_at": analysed_at,
        }
        for result in results
        if result.scores is not None
    ]
    if not rows:
        return 0
    statement = insert(review_sentiments).values(rows)
    updated = {name: statement.excluded[name] for name in rows[0] if name != "review_id"}
    conn.execute(statement.on_conflict_do_update(index_elements=["review_id"], set_=updated))
    return len(rows)


def aspect_averages(conn: Connection, movie_id: str) -> dict[str, float | None]:
    """Average of each score field over the movie's current reviews (None when no review has it)."""
    query = (
        select(*(func.avg(review_sentiments.c[name]) for name in SCORE_FIELDS))
        .join(reviews, reviews.c.review_id == review_sentiments.c.review_id)
        .where(review_sentiments.c.movie_id == movie_id, reviews.c.removed_at.is_(None))
    )
    row = conn.execute(query).one()
    return {
        name: None if value is None else round(float(value), 3)
        for name, value in zip(SCORE_FIELDS, row, strict=True)
    }
