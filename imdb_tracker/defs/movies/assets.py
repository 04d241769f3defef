"""The per-movie assets: metadata, reviews and review sentiments, each partitioned by movie.

The per-movie work itself (scrape, store, lock) is in :mod:`imdb_tracker.tracking`; the assets
open the browser, call it for their partition and report.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from pydantic import Field
from sqlalchemy import Connection, Engine

from imdb_tracker.db.locks import MovieBusy
from imdb_tracker.db.reviews import newest_reviews, stored_review_count
from imdb_tracker.db.sentiments import score_movie
from imdb_tracker.defs.movies.checks import (
    REVIEW_CHECKS,
    SENTIMENT_CHECKS,
    review_check_results,
    sentiment_check_results,
)
from imdb_tracker.defs.partitions import movies_partitions
from imdb_tracker.defs.policies import IO_RETRY, OWNERS
from imdb_tracker.defs.resources import ImdbClient, SentimentAnalyser, TrackerDatabase
from imdb_tracker.imdb.errors import ImdbError
from imdb_tracker.tracking import (
    PERMANENT_ERRORS,
    MetadataRefresh,
    ReviewSync,
    refresh_metadata,
    sync_reviews,
)

GROUP = "imdb"


@contextmanager
def imdb_failures() -> Iterator[None]:
    """Turn a scraping error into a Dagster ``Failure``: not retried when permanent (no retry
    fixes those: say so once, clearly, and keep the stored data as it is)."""
    try:
        yield
    except PERMANENT_ERRORS as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    except (ImdbError, MovieBusy) as exc:
        raise dg.Failure(description=str(exc)) from exc


@dg.asset(
    partitions_def=movies_partitions,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"playwright", "postgres"},
    retry_policy=IO_RETRY,
)
def movie_metadata(
    context: dg.AssetExecutionContext, imdb: ImdbClient, database: TrackerDatabase
) -> dg.MaterializeResult:
    """IMDb title-page metadata of one movie (title, year, rating, votes, review count, …).

    Upserts the ``movies`` row and appends a ``movie_snapshots`` row, so rating, votes and the
    announced review count form a time series. Its freshness over every tracked movie is checked
    on a schedule of its own (``metadata_fresh``). This asset's own runs are single-movie runs (a
    movie just added, a retry, a manual materialization); the hourly refresh runs in batches of many
    movies (``movie_metadata_batch_job``), which record a materialization of this asset per movie.
    """
    movie_id = context.partition_key
    started = time.monotonic()
    engine = database.engine()
    with imdb_failures(), imdb.open(engine) as browser:
        refreshed = refresh_metadata(browser, engine, movie_id)
    if not refreshed.poster_stored and refreshed.poster_note != "unchanged":
        context.log.warning(f"{movie_id}: poster not stored: {refreshed.poster_note}")
    return dg.MaterializeResult(metadata=metadata_materialization(refreshed, time.monotonic() - started))


def metadata_materialization(refreshed: MetadataRefresh, seconds: float) -> dict[str, Any]:
    """The materialization metadata of one movie's metadata refresh (single-movie runs and batches alike)."""
    meta = refreshed.metadata
    poster_md = (
        dg.MetadataValue.md(f"![poster]({meta.poster_url})")
        if meta.poster_url
        else dg.MetadataValue.text("-")
    )
    return {
        "title": meta.title,
        "year": meta.year,
        "rating": meta.rating,
        "votes": meta.votes,
        "announced_review_count": meta.review_count,
        "poster": poster_md,
        "poster_stored": refreshed.poster_note,
        "scrape_seconds": round(seconds, 2),
    }


class ReviewScrapeConfig(dg.Config):
    """Run configuration of ``movie_reviews``."""

    incremental: bool = Field(
        default=False,
        description="Only new reviews: stop at the first page that is wholly stored and unchanged "
        "(what the new-reviews sensor asks for; the daily scrape reads everything).",
    )
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

    Reviews stream in newest first and are upserted per page in a transaction (keyed on the IMDb
    review id), under the movie's writer lock (one writer per movie, whoever runs it). An
    incremental run stops at the first page that is wholly stored and unchanged. A review is marked
    removed (``removed_at``, never deleted) only after two complete scrapes in a row missed it; a
    failed, partial or incremental scrape never hides anything.
    """
    movie_id = context.partition_key
    engine = database.engine()
    started = time.monotonic()
    with imdb_failures(), imdb.open(engine) as browser:
        sync = sync_reviews(
            browser,
            engine,
            movie_id,
            incremental=config.incremental,
            max_reviews=config.max_reviews,
            on_page=lambda s: context.log.debug(f"{movie_id}: {s.counts.total} reviews stored so far"),
        )
    warn_if_out_of_order(context.log, sync)
    if not sync.complete:
        how = "incremental" if config.incremental else "partial"
        context.log.info(
            f"{movie_id}: {how} scrape ({sync.scraped} of {sync.announced} announced); "
            "no review was marked removed"
        )
    return dg.MaterializeResult(
        metadata=reviews_materialization(engine, sync, time.monotonic() - started),
        check_results=review_check_results(sync.stored, sync.announced),
    )


def warn_if_out_of_order(log: dg.DagsterLogManager, sync: ReviewSync) -> None:
    """Say in the run's log when IMDb served a movie's reviews out of date order (single-movie runs
    and batches alike)."""
    if not sync.newest_first:
        log.warning(
            f"{sync.movie_id}: IMDb served the reviews out of date order, so every page was read and "
            "the scrape does not count towards removals"
        )


def reviews_materialization(engine: Engine, sync: ReviewSync, seconds: float) -> dict[str, Any]:
    """The materialization metadata of one movie's review scrape (single-movie runs and batches
    alike); ``seconds`` includes the wait for the writer lock, which is taken off the rate."""
    with engine.connect() as conn:
        preview = _newest_reviews_markdown(conn, sync.movie_id)
    elapsed = seconds - sync.lock_wait_s
    return {
        "incremental": sync.incremental,
        "new": sync.counts.new,
        "updated": sync.counts.updated,
        "unchanged": sync.counts.unchanged,
        "removed": sync.removed,
        "scraped": sync.scraped,
        "announced": sync.announced,
        "complete": sync.complete,
        "newest_first": sync.newest_first,
        "removal_evidence": sync.removal_evidence,
        "stored": sync.stored,
        "writer_lock_wait_s": round(sync.lock_wait_s, 1),
        "reviews_per_second": round(sync.counts.total / elapsed, 1) if elapsed > 0 else 0.0,
        "dagster/row_count": sync.stored,
        "newest_reviews": dg.MetadataValue.md(preview),
    }


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
