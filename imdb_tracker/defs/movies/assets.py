"""The per-movie assets: metadata, reviews and review sentiments, each partitioned by movie."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import dagster as dg
from pydantic import Field
from sqlalchemy import Connection

from imdb_tracker.db import quality
from imdb_tracker.db.movies import poster_source, register_movie, save_poster
from imdb_tracker.db.reviews import (
    UpsertCounts,
    mark_unseen_removed,
    newest_reviews,
    save_metadata,
    set_last_reviews_at,
    stored_review_count,
    upsert_reviews,
)
from imdb_tracker.db.sentiments import score_movie
from imdb_tracker.defs.movies.checks import (
    METADATA_CHECKS,
    METADATA_MAX_AGE,
    REVIEW_CHECKS,
    SENTIMENT_CHECKS,
    metadata_check_results,
    review_check_results,
    sentiment_check_results,
)
from imdb_tracker.defs.partitions import movies_partitions, tracked_movies
from imdb_tracker.defs.policies import IO_RETRY, OWNERS
from imdb_tracker.defs.resources import ImdbClient, SentimentAnalyser, TrackerDatabase
from imdb_tracker.imdb.browser import ImdbBrowser
from imdb_tracker.imdb.errors import ImdbError, LayoutChanged, MovieNotFound, SignInRequired
from imdb_tracker.imdb.models import MovieMetadata
from imdb_tracker.imdb.posters import Poster, PosterRejected, sized_poster_url

GROUP = "imdb"

# Errors that no retry will fix: say so once, clearly, and keep the stored data as it is.
PERMANENT_ERRORS = (MovieNotFound, LayoutChanged, SignInRequired)


@contextmanager
def imdb_failures() -> Iterator[None]:
    """Turn a permanent scraping error into a Dagster ``Failure`` that is not retried."""
    try:
        yield
    except PERMANENT_ERRORS as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    except ImdbError as exc:
        raise dg.Failure(description=str(exc)) from exc


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dg.asset(
    partitions_def=movies_partitions,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"playwright", "postgres"},
    retry_policy=IO_RETRY,
    check_specs=METADATA_CHECKS,
)
def movie_metadata(
    context: dg.AssetExecutionContext, imdb: ImdbClient, database: TrackerDatabase
) -> dg.MaterializeResult:
    """IMDb title-page metadata of one movie (title, year, rating, votes, review count, …).

    Upserts the ``movies`` row and appends a ``movie_snapshots`` row, so rating, votes and the
    announced review count form a time series.
    """
    movie_id = context.partition_key
    started = time.monotonic()
    engine = database.engine()
    with imdb_failures(), imdb.open() as browser:
        meta = browser.fetch_metadata(movie_id)
        with engine.connect() as conn:
            stored_from = poster_source(conn, movie_id)
        poster, poster_note = new_poster(browser, meta, stored_from)
    if poster is None and poster_note != "unchanged":
        context.log.warning(f"{movie_id}: poster not stored: {poster_note}")
    taken_at = now_utc()
    with engine.begin() as conn:
        save_metadata(conn, meta, taken_at)
        if poster is not None:
            save_poster(conn, movie_id, poster)
    with engine.connect() as conn:
        freshness = quality.stale_metadata(
            conn, tracked_movies(context.instance), now_utc(), METADATA_MAX_AGE
        )
    poster_md = (
        dg.MetadataValue.md(f"![poster]({meta.poster_url})")
        if meta.poster_url
        else dg.MetadataValue.text("-")
    )
    return dg.MaterializeResult(
        metadata={
            "title": meta.title,
            "year": meta.year,
            "rating": meta.rating,
            "votes": meta.votes,
            "announced_review_count": meta.review_count,
            "poster": poster_md,
            "poster_stored": poster_note,
            "scrape_seconds": round(time.monotonic() - started, 2),
        },
        check_results=metadata_check_results(freshness),
    )


def new_poster(
    browser: ImdbBrowser, meta: MovieMetadata, stored_from: str | None
) -> tuple[Poster | None, str]:
    """The poster to store when the title page names one not stored yet, and a word on what
    happened. A poster that cannot be fetched never fails the metadata: the old one stays."""
    if meta.poster_url is None:
        return None, "the title page names no poster"
    if stored_from is not None and stored_from in {meta.poster_url, sized_poster_url(meta.poster_url)}:
        return None, "unchanged"
    try:
        poster = browser.fetch_poster(meta.poster_url)
    except (ImdbError, PosterRejected) as exc:
        return None, str(exc)
    return poster, f"{len(poster.image):,} bytes ({poster.content_type}) from {poster.source_url}"


class ReviewScrapeConfig(dg.Config):
    """Run configuration of ``movie_reviews``."""

    max_reviews: int | None = Field(
        default=None,
        description="Stop after this many reviews (a partial scrape never marks reviews removed).",
    )


def _newest_reviews_markdown(conn: Connection, movie_id: str) -> str:
    lines = ["| date | rating | author | title |", "|---|---|---|---|"]
    for row in newest_reviews(conn, movie_id, limit=5):
        title = (row.title or "").replace("|", "/")[:80]
        rating = "-" if row.rating is None else row.rating
        lines.append(f"| {row.submitted_at} | {rating} | {row.author} | {title} |")
    return "\n".join(lines)


@dg.asset(
    partitions_def=movies_partitions,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"playwright", "postgres"},
    retry_policy=IO_RETRY,
    deps=[movie_metadata],
    check_specs=REVIEW_CHECKS,
)
def movie_reviews(
    context: dg.AssetExecutionContext,
    config: ReviewScrapeConfig,
    imdb: ImdbClient,
    database: TrackerDatabase,
) -> dg.MaterializeResult:
    """Every user review of one movie: full text, rating, date, helpfulness, spoiler flag.

    Reviews stream in page by page and are upserted per page in a transaction (keyed on the IMDb
    review id). Reviews missing from IMDb get ``removed_at`` only after a complete scrape whose
    count matches IMDb's announcement; a failed or partial scrape never deletes or hides anything.
    """
    movie_id = context.partition_key
    engine = database.engine()
    started_at = now_utc()
    started = time.monotonic()
    counts = UpsertCounts()
    with engine.begin() as conn:
        register_movie(conn, movie_id)
    with imdb_failures(), imdb.open() as browser:
        scrape = browser.scrape_reviews(movie_id, max_reviews=config.max_reviews)
        for page in scrape:
            with engine.begin() as conn:
                counts += upsert_reviews(conn, page, seen_at=started_at)
            context.log.debug(f"{movie_id}: {counts.total} reviews stored so far")
    complete = scrape.complete and scrape.scraped == scrape.announced_count
    removed = 0
    with engine.begin() as conn:
        if complete:
            removed = mark_unseen_removed(conn, movie_id, started_at, now_utc())
        set_last_reviews_at(conn, movie_id, now_utc())
    elapsed = time.monotonic() - started
    with engine.connect() as conn:
        stored = stored_review_count(conn, movie_id)
        checks = review_check_results(conn, movie_id, stored, scrape.announced_count, complete)
        preview = _newest_reviews_markdown(conn, movie_id)
    if not complete:
        context.log.warning(
            f"{movie_id}: partial scrape ({scrape.scraped} of {scrape.announced_count} announced); "
            "no review was marked removed"
        )
    return dg.MaterializeResult(
        metadata={
            "new": counts.new,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "removed": removed,
            "scraped": scrape.scraped,
            "announced": scrape.announced_count,
            "complete": complete,
            "stored": stored,
            "reviews_per_second": round(counts.total / elapsed, 1) if elapsed else 0.0,
            "dagster/row_count": stored,
            "newest_reviews": dg.MetadataValue.md(preview),
        },
        check_results=checks,
    )


@dg.asset(
    partitions_def=movies_partitions,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"postgres"},  # the backend (offline analyser or an LLM) is in each run's metadata
    retry_policy=IO_RETRY,
    deps=[movie_reviews],
    automation_condition=dg.AutomationCondition.eager(),
    check_specs=SENTIMENT_CHECKS,
)
def review_sentiments(
    context: dg.AssetExecutionContext, sentiment: SentimentAnalyser, database: TrackerDatabase
) -> dg.MaterializeResult:
    """Five aspect scores (storytelling, acting, cinematography, music & sound, themes) and an
    overall score, each −2..2 or null, for every current review of one movie.

    Only reviews that are new, edited, or were scored by another backend, model or prompt version
    are sent to the analyser; re-running over unchanged reviews makes no model call.
    """
    movie_id = context.partition_key
    engine = database.engine()
    outcome = score_movie(engine, movie_id, sentiment.make(), max_attempts=sentiment.max_attempts)
    with engine.connect() as conn:
        current = stored_review_count(conn, movie_id)
        checks = sentiment_check_results(conn, movie_id)
    if outcome.failed_now:
        context.log.warning(
            f"{movie_id}: {outcome.failed_now} reviews could not be scored this run "
            f"({outcome.failures.given_up} given up after {sentiment.max_attempts} attempts)"
        )
    metadata = outcome.metadata()
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "skipped_unchanged": current - outcome.scored - outcome.failed_now,
            "given_up_examples": dg.MetadataValue.md(metadata["given_up_examples"]),
        },
        check_results=checks,
    )
