"""Reading reviews that need a (new) sentiment score, storing scores and failures, and scoring one
movie end to end (:func:`score_movie`, what the ``review_sentiments`` asset runs)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert

from imdb_tracker.db.schema import review_sentiments, reviews, sentiment_failures
from imdb_tracker.sentiment.cache import FIELD_SEPARATOR, Fingerprint, reads_rating
from imdb_tracker.sentiment.models import SCORE_FIELDS, ReviewInput, SentimentBackend, SentimentResult, Usage
from imdb_tracker.sentiment.provenance import provenance

DEFAULT_MAX_ATTEMPTS = 3
"""Scoring attempts per review and fingerprint before it is reported and no longer retried."""
_FAILURE_EXAMPLES = 5


def input_hash_sql(with_rating: bool) -> ColumnElement[str]:
    """:func:`imdb_tracker.sentiment.cache.input_hash` of a ``reviews`` row, in PostgreSQL."""
    parts: list[Any] = [func.coalesce(reviews.c.title, ""), literal(FIELD_SEPARATOR), reviews.c.text]
    if with_rating:
        parts += [literal(FIELD_SEPARATOR), func.coalesce(cast(reviews.c.rating, String), "")]
    payload = func.convert_to(func.concat(*parts), "UTF8")
    return func.encode(func.sha256(payload), "hex")


def iter_reviews_to_score(
    engine: Engine,
    movie_id: str,
    backend: str,
    model: str,
    prompt_version: str,
    batch_size: int = 500,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Iterator[list[ReviewInput]]:
    """Batches of the movie's current reviews whose stored score is missing or stale, except those
    that already failed ``max_attempts`` times with the same fingerprint.

    Stale follows :class:`~imdb_tracker.sentiment.cache.Fingerprint`: the hash of what the backend
    reads, the backend, model or prompt version differ from what the score was computed with.
    Streams from a server-side cursor, so a movie with many reviews is never loaded whole.
    """
    current = tuple_(
        input_hash_sql(reads_rating(backend)), literal(backend), literal(model), literal(prompt_version)
    )
    stale = or_(
        review_sentiments.c.review_id.is_(None),
        tuple_(
            review_sentiments.c.content_hash,
            review_sentiments.c.backend,
            review_sentiments.c.model,
            review_sentiments.c.prompt_version,
        ).is_distinct_from(current),
    )
    given_up = and_(
        sentiment_failures.c.attempts >= max_attempts,
        tuple_(
            sentiment_failures.c.content_hash,
            sentiment_failures.c.backend,
            sentiment_failures.c.model,
            sentiment_failures.c.prompt_version,
        ).is_not_distinct_from(current),
    )
    query = (
        select(reviews.c.review_id, reviews.c.title, reviews.c.text, reviews.c.rating)
        .outerjoin(review_sentiments, review_sentiments.c.review_id == reviews.c.review_id)
        .outerjoin(sentiment_failures, sentiment_failures.c.review_id == reviews.c.review_id)
        .where(
            reviews.c.movie_id == movie_id,
            reviews.c.removed_at.is_(None),
            stale,
            or_(sentiment_failures.c.review_id.is_(None), not_(given_up)),
        )
        .order_by(reviews.c.review_id)
    )
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(query)
        for partition in result.partitions():
            yield [ReviewInput(row[0], row[1], row[2], rating=row[3]) for row in partition]


def save_sentiments(
    conn: Connection,
    movie_id: str,
    results: Sequence[SentimentResult],
    fingerprints: dict[str, Fingerprint],
    analysed_at: datetime,
) -> int:
    """Upsert the successful results and forget their failures; count each failed result as one
    more attempt (the count restarts when the fingerprint changed). Returns the rows scored."""
    rows = [
        {
            "review_id": result.review_id,
            "movie_id": movie_id,
            **result.scores.to_dict(),
            **_fingerprint_columns(fingerprints[result.review_id]),
            "analysed_at": analysed_at,
        }
        for result in results
        if result.scores is not None
    ]
    if rows:
        statement = insert(review_sentiments).values(rows)
        updated = {name: statement.excluded[name] for name in rows[0] if name != "review_id"}
        conn.execute(statement.on_conflict_do_update(index_elements=["review_id"], set_=updated))
        conn.execute(
            delete(sentiment_failures).where(
                sentiment_failures.c.review_id.in_([r["review_id"] for r in rows])
            )
        )
    failures = [
        {
            "review_id": result.review_id,
            "movie_id": movie_id,
            **_fingerprint_columns(fingerprints[result.review_id]),
            "attempts": 1,
            "last_error": result.error or "no scores returned",
            "first_failed_at": analysed_at,
            "last_failed_at": analysed_at,
        }
        for result in results
        if result.scores is None
    ]
    if failures:
        statement = insert(sentiment_failures).values(failures)
        excluded = statement.excluded
        same = tuple_(
            sentiment_failures.c.content_hash,
            sentiment_failures.c.backend,
            sentiment_failures.c.model,
            sentiment_failures.c.prompt_version,
        ) == tuple_(excluded.content_hash, excluded.backend, excluded.model, excluded.prompt_version)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["review_id"],
                set_={
                    "movie_id": excluded.movie_id,
                    "backend": excluded.backend,
                    "model": excluded.model,
                    "prompt_version": excluded.prompt_version,
                    "content_hash": excluded.content_hash,
                    "attempts": case((same, sentiment_failures.c.attempts + 1), else_=1),
                    "last_error": excluded.last_error,
                    "first_failed_at": case(
                        (same, sentiment_failures.c.first_failed_at), else_=excluded.first_failed_at
                    ),
                    "last_failed_at": excluded.last_failed_at,
                },
            )
        )
    return len(rows)


def _fingerprint_columns(fingerprint: Fingerprint) -> dict[str, str]:
    return {
        "backend": fingerprint.backend,
        "model": fingerprint.model,
        "prompt_version": fingerprint.prompt_version,
        "content_hash": fingerprint.content_hash,
    }


@dataclass(frozen=True)
class FailureSummary:
    """Current reviews of a movie whose last scoring attempt failed: still to be retried, and given
    up (``max_attempts`` reached), with a few ``review_id: error`` examples of the latter."""

    retrying: int
    given_up: int
    given_up_examples: list[str] = field(default_factory=list)


def failure_summary(
    conn: Connection, movie_id: str, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> FailureSummary:
    """See :class:`FailureSummary`."""
    rows = conn.execute(
        select(sentiment_failures.c.review_id, sentiment_failures.c.attempts, sentiment_failures.c.last_error)
        .join(reviews, reviews.c.review_id == sentiment_failures.c.review_id)
        .where(sentiment_failures.c.movie_id == movie_id, reviews.c.removed_at.is_(None))
        .order_by(sentiment_failures.c.review_id)
    ).all()
    given_up = [row for row in rows if row.attempts >= max_attempts]
    examples = [f"{row.review_id}: {row.last_error}" for row in given_up[:_FAILURE_EXAMPLES]]
    return FailureSummary(len(rows) - len(given_up), len(given_up), examples)


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


def score_providers(conn: Connection, movie_id: str) -> dict[str, int]:
    """How many of the movie's current scores each ``backend/model (version)`` produced."""
    label = func.concat(
        review_sentiments.c.backend,
        "/",
        review_sentiments.c.model,
        " (",
        review_sentiments.c.prompt_version,
        ")",
    )
    rows = conn.execute(
        select(label, func.count())
        .join(reviews, reviews.c.review_id == review_sentiments.c.review_id)
        .where(review_sentiments.c.movie_id == movie_id, reviews.c.removed_at.is_(None))
        .group_by(label)
        .order_by(label)
    ).all()
    return {name: count for name, count in rows}


@dataclass(frozen=True)
class MovieScoring:
    """What :func:`score_movie` did: counts, usage and cost, failures, and where scores come from."""

    movie_id: str
    backend: dict[str, str]
    scored: int
    failed_now: int
    failures: FailureSummary
    usage: Usage
    cost: float
    averages: dict[str, float | None]
    providers: dict[str, int]

    def metadata(self) -> dict[str, Any]:
        """Plain values for the asset's materialization metadata (provenance first)."""
        return {
            **{f"sentiment_{key}": value for key, value in self.backend.items()},
            "scored": self.scored,
            "failed": self.failed_now,
            "failed_retrying": self.failures.retrying,
            "failed_given_up": self.failures.given_up,
            "given_up_examples": "\n".join(f"- {line}" for line in self.failures.given_up_examples) or "none",
            "score_providers": ", ".join(f"{name}: {count}" for name, count in self.providers.items())
            or "none",
            "requests": self.usage.requests,
            "input_tokens": self.usage.input_tokens,
            "cached_input_tokens": self.usage.cached_input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cost_usd": round(self.cost, 6),
            **{f"avg_{name}": value for name, value in self.averages.items()},
        }


def score_movie(
    engine: Engine,
    movie_id: str,
    backend: SentimentBackend,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> MovieScoring:
    """Score the movie's new, edited or stale reviews with ``backend``, storing each batch as it
    finishes (a failed run keeps what was scored), and summarise the outcome."""
    usage = Usage()
    cost = 0.0
    scored = failed = 0
    batches = iter_reviews_to_score(
        engine, movie_id, backend.name, backend.model, backend.prompt_version, max_attempts=max_attempts
    )
    for batch in batches:
        run = backend.score(batch)
        usage += run.usage
        cost += run.cost
        fingerprints = {review.review_id: Fingerprint.of(review, backend) for review in batch}
        with engine.begin() as conn:
            scored += save_sentiments(conn, movie_id, run.results, fingerprints, now())
        failed += sum(result.scores is None for result in run.results)
    with engine.connect() as conn:
        failures = failure_summary(conn, movie_id, max_attempts)
        averages = aspect_averages(conn, movie_id)
        providers = score_providers(conn, movie_id)
    return MovieScoring(
        movie_id, provenance(backend), scored, failed, failures, usage, cost, averages, providers
    )
